#include "tracker/punch_coordinator.hpp"

#include <sodium.h>

#include <algorithm>
#include <boost/container_hash/hash.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

namespace cairn::tracker {

namespace punch = core::punch;
using punch::Role;

std::string_view error_code(PunchError e) {
  switch (e) {
    case PunchError::no_session:
      return "no_session";
    case PunchError::not_found:
      return "not_found";
    case PunchError::not_owner:
      return "not_owner";
    case PunchError::topic_not_allowed:
      return "topic_not_allowed";
    case PunchError::self:
      return "self";
    case PunchError::family_mismatch:
      return "family_mismatch";
    case PunchError::busy:
      return "busy";
    case PunchError::too_many_attempts:
      return "too_many_attempts";
    case PunchError::refused:
      return "refused";
    case PunchError::not_responding:
      return "not_responding";
    case PunchError::unknown_attempt:
      return "unknown_attempt";
    case PunchError::relay_unavailable:
      return "relay_unavailable";
    case PunchError::relay_exhausted:
      return "relay_exhausted";
    case PunchError::tracker_full:
      return "tracker_full";
  }
  return "bad_request";
}

namespace {

constexpr core::Millis kMinute = 60'000;

struct EndpointHash {
  std::size_t operator()(const core::Endpoint& e) const {
    std::size_t h = boost::hash_range(e.address.bytes.begin(), e.address.bytes.end());
    boost::hash_combine(h, e.port);
    boost::hash_combine(h, static_cast<int>(e.family()));
    return h;
  }
};

struct AddressHash {
  std::size_t operator()(const core::Address& a) const {
    std::size_t h = boost::hash_range(a.bytes.begin(), a.bytes.end());
    boost::hash_combine(h, static_cast<int>(a.family));
    return h;
  }
};

struct RecordKey {
  core::TopicId topic;
  core::RecordId id;
  friend bool operator==(const RecordKey&, const RecordKey&) = default;
};
struct RecordKeyHash {
  std::size_t operator()(const RecordKey& k) const {
    std::size_t h = boost::hash_range(k.topic.bytes.begin(), k.topic.bytes.end());
    boost::hash_combine(h, boost::hash_range(k.id.bytes.begin(), k.id.bytes.begin() + k.id.size));
    return h;
  }
};

// The two endpoints of an attempt, in a fixed order: a connect from either
// side finds the same attempt.
struct PairKey {
  core::Endpoint low, high;
  PairKey(const core::Endpoint& a, const core::Endpoint& b)
      : low(std::min(a, b)), high(std::max(a, b)) {}
  friend bool operator==(const PairKey&, const PairKey&) = default;
};
struct PairHash {
  std::size_t operator()(const PairKey& k) const {
    std::size_t h = EndpointHash{}(k.low);
    boost::hash_combine(h, EndpointHash{}(k.high));
    return h;
  }
};

// Attempts per minute: a fixed window, reset a minute after it opened.
struct Window {
  core::Millis start = 0;
  std::uint32_t count = 0;
  bool take(core::Millis now, std::uint32_t limit) {
    if (now - start >= kMinute) start = now, count = 0;
    if (count >= limit) return false;
    ++count;
    return true;
  }
};

// IPv6 addresses count per /64, as everywhere in Cairn's limits.
core::Address limit_unit(core::Address a) {
  if (a.family == core::Family::v6) std::fill(a.bytes.begin() + 8, a.bytes.end(), 0);
  return a;
}

struct Session {
  RecordKey record;
  core::Millis last_seen = 0;
  Window attempts;
  std::uint32_t pending = 0;  // attempts targeting it, not yet synced
};

struct Attempt {
  std::array<core::Endpoint, 2> ep;  // by Role: requester, target
  std::array<core::RecordId, 2> record;
  core::TopicId topic;
  core::Millis expires = 0;
  punch::Token token{};
  std::array<core::Millis, 2> offered{};  // the first offer to each side
  std::array<core::Millis, 2> rtt{};
  std::array<bool, 2> ready{};
  std::array<std::uint32_t, 2> ready_txid{};
  bool synced = false;
  bool pending = true;  // counted in the target session's `pending`
  std::optional<PunchError> failed;
  std::uint64_t relay_bytes = 0;
  std::uint64_t relay_budget = 0;  // token bucket, in thousandths of a byte
  core::Millis relay_at = 0;
};

std::size_t index(Role r) { return static_cast<std::size_t>(r); }

std::optional<Role> role_of(const Attempt& a, const core::Endpoint& from) {
  if (from == a.ep[0]) return Role::requester;
  if (from == a.ep[1]) return Role::target;
  return std::nullopt;
}

PunchOutcome error(std::uint32_t txid, PunchError e) {
  return {PunchRefusal{txid, e}, std::nullopt, PunchEvent::refused};
}

}  // namespace

struct PunchCoordinator::State {
  boost::unordered_flat_map<core::Endpoint, Session, EndpointHash> sessions;
  boost::unordered_flat_map<RecordKey, core::Endpoint, RecordKeyHash> by_record;
  boost::unordered_flat_map<std::uint64_t, Attempt> attempts;
  boost::unordered_flat_map<PairKey, std::uint64_t, PairHash> pairs;
  boost::unordered_flat_map<core::Address, Window, AddressHash> address_windows;
  std::uint64_t counter = 0;

  bool live(const Session& s, core::Millis now, const PunchPolicy& p) const {
    return now < s.last_seen + core::Millis{p.session_ttl} * 1000;
  }
  Session* live_session(const core::Endpoint& e, core::Millis now, const PunchPolicy& p) {
    auto it = sessions.find(e);
    return it != sessions.end() && live(it->second, now, p) ? &it->second : nullptr;
  }
  void drop_session(const core::Endpoint& e) {
    auto it = sessions.find(e);
    if (it == sessions.end()) return;
    auto rec = by_record.find(it->second.record);
    if (rec != by_record.end() && rec->second == e) by_record.erase(rec);
    sessions.erase(it);
  }
  // The attempt no longer counts against its target's pending limit.
  void settle(Attempt& a) {
    if (!a.pending) return;
    a.pending = false;
    auto it = sessions.find(a.ep[1]);
    if (it != sessions.end() && it->second.pending > 0) --it->second.pending;
  }
  Attempt* find_attempt(std::uint64_t id, core::Millis now) {
    auto it = attempts.find(id);
    return it != attempts.end() && now < it->second.expires ? &it->second : nullptr;
  }
  void drop_attempt(std::uint64_t id) {
    auto it = attempts.find(id);
    if (it == attempts.end()) return;
    settle(it->second);
    auto pair = pairs.find(PairKey(it->second.ep[0], it->second.ep[1]));
    if (pair != pairs.end() && pair->second == id) pairs.erase(pair);
    attempts.erase(it);
  }
};

PunchCoordinator::PunchCoordinator(const PunchPolicy& policy, const Rendezvous& rendezvous,
                                   const PunchSecrets& secrets)
    : policy_(policy),
      rendezvous_(rendezvous),
      secrets_(secrets),
      state_(std::make_unique<State>()) {}

PunchCoordinator::~PunchCoordinator() = default;

namespace {

PunchError from_rendezvous(RendezvousError e) {
  switch (e) {
    case RendezvousError::topic_not_allowed:
      return PunchError::topic_not_allowed;
    case RendezvousError::not_owner:
      return PunchError::not_owner;
    default:
      return PunchError::not_found;
  }
}

punch::Offer offer_for(const Attempt& a, std::uint64_t id, Role to, std::uint32_t txid, bool relay,
                       core::Millis now) {
  Role peer = punch::other(to);
  punch::Offer o;
  o.transaction_id = txid;
  o.attempt = id;
  o.role = to;
  o.relay = relay;
  o.token = a.token;
  o.topic = a.topic;
  o.peer = a.ep[index(peer)];
  o.peer_id = a.record[index(peer)];
  o.expires_in =
      static_cast<std::uint16_t>(std::min<core::Millis>((a.expires - now) / 1000, 0xffff));
  return o;
}

std::uint16_t clamp16(core::Millis ms) {
  return static_cast<std::uint16_t>(std::min<core::Millis>(ms, 0xffff));
}

// Both sides start when the farther one's sync arrives: the nearer waits
// half the difference of the round trips.
punch::Sync sync_for(const Attempt& a, std::uint64_t id, Role to) {
  core::Millis slowest = std::max(a.rtt[0], a.rtt[1]);
  core::Millis mine = a.rtt[index(to)];
  return {a.ready_txid[index(to)], id, clamp16((slowest - mine) / 2), clamp16(mine)};
}

}  // namespace

PunchOutcome PunchCoordinator::session(const punch::SessionRequest& r, const core::Endpoint& from,
                                       core::Millis now, AccessView& access) {
  std::uint32_t txid = r.header.transaction_id;
  punch::SessionAnswer answer{txid, static_cast<std::uint16_t>(policy_.keepalive),
                              static_cast<std::uint16_t>(policy_.session_ttl), from, policy_.relay};
  RecordKey key{r.topic, r.id};
  std::lock_guard lock(mutex_);
  auto& st = *state_;
  auto it = st.sessions.find(from);
  bool same = it != st.sessions.end() && it->second.record == key;
  if (r.closing) {
    if (same) st.drop_session(from);
    answer.session_ttl = 0;
    return {answer, std::nullopt, PunchEvent::session_closed};
  }
  // A keep-alive for the record it holds: the ownership check was done.
  if (same && st.live(it->second, now, policy_)) {
    it->second.last_seen = now;
    return {answer, std::nullopt, PunchEvent::session_refreshed};
  }
  if (auto held = rendezvous_.check_holder(r.topic, r.id, from.address,
                                           static_cast<core::Seconds>(now / 1000), access);
      !held)
    return error(txid, from_rendezvous(held.error()));
  // One session per socket and one socket per record: the newest wins.
  st.drop_session(from);
  if (auto old = st.by_record.find(key); old != st.by_record.end()) st.drop_session(old->second);
  if (st.sessions.size() >= policy_.max_sessions) return error(txid, PunchError::tracker_full);
  st.sessions[from] = Session{key, now, {}, 0};
  st.by_record[key] = from;
  return {answer, std::nullopt, PunchEvent::session_opened};
}

PunchOutcome PunchCoordinator::connect(const punch::ConnectRequest& r, const core::Endpoint& from,
                                       core::Millis now, AccessView& access) {
  std::uint32_t txid = r.header.transaction_id;
  if (!rendezvous_.serves(r.topic, access)) return error(txid, PunchError::topic_not_allowed);
  std::lock_guard lock(mutex_);
  auto& st = *state_;
  Session* mine = st.live_session(from, now, policy_);
  if (!mine) return error(txid, PunchError::no_session);
  auto target_at = st.by_record.find(RecordKey{r.topic, r.id});
  Session* theirs =
      target_at == st.by_record.end() ? nullptr : st.live_session(target_at->second, now, policy_);
  if (!theirs) return error(txid, PunchError::not_found);
  const core::Endpoint target = target_at->second;
  if (target == from) return error(txid, PunchError::self);
  if (target.family() != from.family()) return error(txid, PunchError::family_mismatch);

  // A repeated connect, or one from the other side meanwhile, joins the
  // attempt still being coordinated. Once it synced, a connect is a new
  // attempt (the last one failed to punch); the old one lives on for its
  // relay until its token expires.
  if (auto pair = st.pairs.find(PairKey(from, target)); pair != st.pairs.end()) {
    Attempt* a = st.find_attempt(pair->second, now);
    if (a && !a->failed && !a->synced) {
      Role role = *role_of(*a, from);
      return {offer_for(*a, pair->second, role, txid, policy_.relay, now), std::nullopt,
              PunchEvent::none};
    }
    if (!a || a->failed) st.drop_attempt(pair->second);
  }
  if (theirs->pending >= policy_.pending_per_target) return error(txid, PunchError::busy);
  if (!mine->attempts.take(now, policy_.session_attempts_per_minute) ||
      !st.address_windows[limit_unit(from.address)].take(now, policy_.address_attempts_per_minute))
    return error(txid, PunchError::too_many_attempts);

  std::uint64_t id = 0;
  do id = attempt_id(secrets_, ++st.counter);
  while (id == 0 || st.attempts.contains(id));
  Attempt a;
  a.ep = {from, target};
  a.record = {mine->record.id, r.id};
  a.topic = r.topic;
  a.expires = now + core::Millis{policy_.token_ttl} * 1000;
  a.token = punch_token(secrets_, id, from, target, a.expires);
  a.offered = {now, now};
  ++theirs->pending;
  auto& stored = st.attempts[id] = a;
  st.pairs.insert_or_assign(PairKey(from, target), id);
  return {offer_for(stored, id, Role::requester, txid, policy_.relay, now),
          PunchSend{target, offer_for(stored, id, Role::target, 0, policy_.relay, now)},
          PunchEvent::attempt_started};
}

PunchOutcome PunchCoordinator::ready(const punch::ReadyRequest& r, const core::Endpoint& from,
                                     core::Millis now) {
  std::uint32_t txid = r.header.transaction_id;
  std::lock_guard lock(mutex_);
  auto& st = *state_;
  Attempt* a = st.find_attempt(r.attempt, now);
  std::optional<Role> role = a ? role_of(*a, from) : std::nullopt;
  if (!role || sodium_memcmp(r.token.data(), a->token.data(), a->token.size()) != 0)
    return error(txid, PunchError::unknown_attempt);
  const std::size_t me = index(*role), them = 1 - me;
  if (a->failed) return error(txid, *a->failed);
  if (r.refuse) {
    a->failed = PunchError::refused;
    st.settle(*a);
    PunchOutcome out = error(txid, PunchError::refused);
    if (a->ready[them])
      out.other = PunchSend{a->ep[them], PunchRefusal{a->ready_txid[them], PunchError::refused}};
    return out;
  }
  if (!a->ready[me]) {
    a->ready[me] = true;
    a->rtt[me] = now - a->offered[me];
  }
  a->ready_txid[me] = txid;
  if (a->synced) {  // a late or repeated ready: start now
    punch::Sync s = sync_for(*a, r.attempt, *role);
    s.delay_ms = 0;
    return {s, std::nullopt, PunchEvent::none};
  }
  if (a->ready[them]) {
    a->synced = true;
    st.settle(*a);
    return {sync_for(*a, r.attempt, *role),
            PunchSend{a->ep[them], sync_for(*a, r.attempt, punch::other(*role))},
            PunchEvent::synced};
  }
  if (now - a->offered[them] > policy_.target_timeout) {
    a->failed = PunchError::not_responding;
    st.settle(*a);
    return error(txid, PunchError::not_responding);
  }
  // Still waiting: the other side's offer may have been lost, so send it
  // again (paced by this side's repeated readies).
  return {
      std::nullopt,
      PunchSend{a->ep[them], offer_for(*a, r.attempt, punch::other(*role), 0, policy_.relay, now)},
      PunchEvent::none};
}

PunchOutcome PunchCoordinator::relay(const punch::RelayRequest& r, const core::Endpoint& from,
                                     core::Millis now) {
  std::uint32_t txid = r.header.transaction_id;
  if (!policy_.relay) return error(txid, PunchError::relay_unavailable);
  std::lock_guard lock(mutex_);
  auto& st = *state_;
  Attempt* a = st.find_attempt(r.attempt, now);
  std::optional<Role> role = a ? role_of(*a, from) : std::nullopt;
  if (!role || sodium_memcmp(r.token.data(), a->token.data(), a->token.size()) != 0)
    return error(txid, PunchError::unknown_attempt);
  if (!a->synced || a->failed) return error(txid, PunchError::relay_unavailable);
  std::uint64_t bytes = r.payload.size();
  if (a->relay_bytes + bytes > policy_.relay_bytes_per_pair)
    return error(txid, PunchError::relay_exhausted);
  // Token bucket of one second's worth of bytes.
  const std::uint64_t capacity = std::uint64_t{policy_.relay_rate_per_pair} * 1000;
  if (a->relay_at == 0) a->relay_budget = capacity;
  a->relay_budget = std::min(
      capacity, a->relay_budget + (now - std::min(now, a->relay_at)) * policy_.relay_rate_per_pair);
  a->relay_at = now;
  if (a->relay_budget < bytes * 1000)
    return {std::nullopt, std::nullopt, PunchEvent::relay_dropped};
  a->relay_budget -= bytes * 1000;
  a->relay_bytes += bytes;
  return {std::nullopt, PunchSend{a->ep[1 - index(*role)], punch::Relayed{r.attempt, r.payload}},
          PunchEvent::relayed};
}

void PunchCoordinator::expire(core::Millis now) {
  std::lock_guard lock(mutex_);
  auto& st = *state_;
  std::vector<core::Endpoint> gone;
  for (const auto& [e, s] : st.sessions)
    if (!st.live(s, now, policy_)) gone.push_back(e);
  for (const auto& e : gone) st.drop_session(e);
  std::vector<std::uint64_t> ended;
  for (const auto& [id, a] : st.attempts)
    if (now >= a.expires) ended.push_back(id);
  for (auto id : ended) st.drop_attempt(id);
  boost::unordered::erase_if(st.address_windows,
                             [&](const auto& w) { return now - w.second.start >= kMinute; });
}

PunchStats PunchCoordinator::stats() const {
  std::lock_guard lock(mutex_);
  return {state_->sessions.size(), state_->attempts.size()};
}

}  // namespace cairn::tracker
