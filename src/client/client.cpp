#include "client/client.hpp"

#include <sodium.h>

#include <algorithm>
#include <future>
#include <map>
#include <thread>

#include "client/bittorrent.hpp"

namespace cairn::client {

namespace rv = codec::rv;

struct Client::Tracker {
  TrackerUrl url;
  std::unique_ptr<UdpSession> udp;  // for udp:// trackers
  bool started = false;             // BitTorrent: event=started was sent
  bool udp_scheme() const { return url.scheme == TrackerUrl::Scheme::udp; }
};

namespace {

void random_bytes(std::span<std::uint8_t> out) {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
  randombytes_buf(out.data(), out.size());
}

}  // namespace

Result<Tiers> parse_tiers(const std::vector<std::vector<std::string>>& text) {
  Tiers tiers;
  for (const auto& tier : text) {
    Tier t;
    for (const auto& u : tier) {
      auto url = TrackerUrl::parse(u);
      if (!url) return url.error();
      t.push_back(std::move(*url));
    }
    if (!t.empty()) tiers.push_back(std::move(t));
  }
  if (tiers.empty()) return Error{"no tracker given"};
  return tiers;
}

Subject Subject::for_info_hash(const core::InfoHash& h) {
  Subject s;
  s.kind = Kind::info_hash;
  s.info_hash = h;
  return s;
}

Subject Subject::for_topic(const core::TopicId& t) {
  Subject s;
  s.kind = Kind::topic;
  s.topic = t;
  return s;
}

Subject Subject::for_secret(std::string_view secret) {
  Subject s;
  s.kind = Kind::sealed;
  s.sealed = derive_sealed_keys(secret);
  s.topic = s.sealed->topic;
  return s;
}

Client::Client(Tiers tiers, Subject subject, Options options)
    : subject_(std::move(subject)), options_(options) {
  for (auto& tier : tiers) {
    auto& out = tiers_.emplace_back();
    for (auto& url : tier) {
      auto t = std::make_unique<Tracker>();
      if (url.scheme == TrackerUrl::Scheme::udp) t->udp = std::make_unique<UdpSession>(url);
      t->url = std::move(url);
      out.push_back(std::move(t));
    }
  }
  record_id_.size = core::RecordId::random_size;
  random_bytes(std::span(record_id_.bytes.data(), record_id_.size));
  constexpr std::string_view prefix = "-CA0100-";  // Azureus-style client id
  std::copy(prefix.begin(), prefix.end(), peer_id_.bytes.begin());
  random_bytes(
      std::span(peer_id_.bytes.data() + prefix.size(), core::PeerId::size - prefix.size()));
  random_bytes(std::span(reinterpret_cast<std::uint8_t*>(&key_), sizeof key_));
}

Client::~Client() = default;

void Client::sign_with(Signer signer) {
  record_id_ = signer.id();
  signer_ = std::move(signer);
}

// BEP 12: the trackers of a tier in order until one answers; that one moves
// to the front, so the next round starts with it.
TierOutcome Client::on_tier(std::size_t tier, const Action& action) {
  TierOutcome out;
  out.tier = tier;
  auto& trackers = tiers_[tier];
  for (std::size_t i = 0; i < trackers.size(); ++i) {
    auto result = action(*trackers[i]);
    if (!result) {
      out.errors.push_back(result.error().message);
      out.answered = out.answered || result.error().answered;
      continue;
    }
    out.tracker = trackers[i]->url.text;
    out.reannounce_after = *result;
    std::rotate(trackers.begin(), trackers.begin() + static_cast<std::ptrdiff_t>(i),
                trackers.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    break;
  }
  return out;
}

std::string TierOutcome::failure() const {
  std::string out = "tier " + std::to_string(tier + 1);
  out += answered ? ": failed" : ": no tracker answered";
  for (const auto& e : errors) out += "; " + e;
  return out;
}

TierOutcome Client::announce(std::size_t tier, const Presence& presence) {
  return on_tier(tier, [&](Tracker& t) { return announce_to(t, presence, false); });
}

TierOutcome Client::withdraw(std::size_t tier, const Presence& presence) {
  return on_tier(tier, [&](Tracker& t) { return announce_to(t, presence, true); });
}

// The record this tracker gets: open addresses and meta under a topic, or
// the same sealed under the secret's key, with unspecified addresses filled
// from what this tracker sees (it cannot fill what it cannot read).
Result<rv::Record> Client::record_for(Tracker& t, const Presence& presence) {
  rv::Record record = presence.meta;
  record.addresses = presence.addresses;
  if (subject_.kind != Subject::Kind::sealed) return record;
  if (std::any_of(record.addresses.begin(), record.addresses.end(),
                  [](const std::string& a) { return rv::unspecified_port(a).has_value(); })) {
    auto observed = t.udp_scheme() ? whoami_udp(*t.udp, options_.timeout, options_.udp_tries)
                                   : whoami_http(t.url, options_.timeout);
    if (!observed) return observed.error();
    for (auto& a : record.addresses) a = rv::fill_address(a, observed->address);
  }
  auto plain = rv::encode_body(record);
  if (!plain) return Error{"the record: " + std::string(rv::error_code(plain.error()))};
  rv::Record sealed;
  sealed.sealed = seal(*subject_.sealed, *plain);
  return sealed;
}

Result<std::uint32_t> Client::announce_to(Tracker& t, const Presence& presence, bool stop) {
  if (subject_.kind == Subject::Kind::info_hash) {
    BtAnnounce a;
    a.info_hash = subject_.info_hash;
    a.peer_id = peer_id_;
    a.key = key_;
    auto at =
        presence.addresses.empty() ? std::nullopt : parse_bt_address(presence.addresses.front());
    if (!at) return Error{"an info hash announce needs IP:PORT or :PORT"};
    a.port = at->port;
    a.ip = at->ip;
    a.event = stop ? core::Event::stopped : t.started ? core::Event::none : core::Event::started;
    auto answer = t.udp_scheme() ? announce_udp(*t.udp, a, options_.timeout, options_.udp_tries)
                                 : announce_http(t.url, a, options_.timeout);
    if (!answer) return answer.error();
    t.started = !stop;
    return answer->interval;
  }
  return stop ? unregister_at(t) : register_at(t, presence);
}

Result<std::uint32_t> Client::register_at(Tracker& t, const Presence& presence) {
  auto record = record_for(t, presence);
  if (!record) return record.error();
  Registration r{subject_.topic, record_id_, std::move(*record), presence.ttl, std::nullopt};
  if (signer_) {
    // The tracker keeps the body canonical, so this is what it will check.
    auto body = rv::encode_body(r.record);
    if (!body) return Error{"the record: " + std::string(rv::error_code(body.error()))};
    std::lock_guard lock(signer_mutex_);
    r.signed_by = signer_->sign_register(subject_.topic, r.ttl, *body);
  }
  auto granted = t.udp_scheme() ? register_udp(*t.udp, r, options_.timeout, options_.udp_tries)
                                : register_http(t.url, r, options_.timeout);
  if (!granted) return granted.error();
  return granted->reannounce_after;
}

Result<std::uint32_t> Client::unregister_at(Tracker& t) {
  std::optional<rv::SignedBy> signed_by;
  if (signer_) {
    std::lock_guard lock(signer_mutex_);
    signed_by = signer_->sign_remove(subject_.topic);
  }
  auto done = t.udp_scheme()
                  ? unregister_udp(*t.udp, subject_.topic, record_id_, signed_by, options_.timeout,
                                   options_.udp_tries)
                  : unregister_http(t.url, subject_.topic, record_id_, signed_by, options_.timeout);
  if (!done) return done.error();
  return 0u;
}

// Sealed records are opened here; what does not open under our key is
// someone else's and is dropped.
Result<std::vector<FoundPeer>> Client::found_records(Tracker& t, std::vector<FoundEntry> entries) {
  std::vector<FoundPeer> out;
  for (auto& e : entries) {
    if (subject_.kind == Subject::Kind::sealed) {
      auto plain = e.record.sealed ? open_sealed(*subject_.sealed, *e.record.sealed) : std::nullopt;
      auto inner = plain ? rv::decode_body(*plain)
                         : core::Result<rv::Record, rv::RecordError>(rv::RecordError::bad_record);
      if (!inner) continue;
      e.record = std::move(*inner);
    }
    FoundPeer p;
    p.addresses = e.record.addresses;
    p.record = std::move(e);
    p.trackers.push_back(t.url.text);
    out.push_back(std::move(p));
  }
  return out;
}

// BitTorrent has no read-only query: a look-up is an announce as a leecher
// on a throwaway port, then a stop, so it is not left in the swarm.
Result<std::vector<FoundPeer>> Client::lookup_at(Tracker& t, std::string_view capability) {
  if (subject_.kind != Subject::Kind::info_hash) {
    auto entries =
        t.udp_scheme()
            ? lookup_udp(*t.udp, subject_.topic, capability, options_.timeout, options_.udp_tries)
            : lookup_http(t.url, subject_.topic, capability, options_.timeout);
    if (!entries) return entries.error();
    return found_records(t, std::move(*entries));
  }
  BtAnnounce a;
  a.info_hash = subject_.info_hash;
  a.peer_id = peer_id_;
  a.key = key_;
  a.port = static_cast<std::uint16_t>(49152 + randombytes_uniform(16384));
  a.left = 1;
  a.numwant = 200;
  auto answer = t.udp_scheme() ? announce_udp(*t.udp, a, options_.timeout, options_.udp_tries)
                               : announce_http(t.url, a, options_.timeout);
  if (!answer) return answer.error();
  a.event = core::Event::stopped;
  a.numwant = 0;
  (void)(t.udp_scheme() ? announce_udp(*t.udp, a, options_.timeout, options_.udp_tries)
                        : announce_http(t.url, a, options_.timeout));
  std::vector<FoundPeer> out;
  for (const auto& e : answer->peers) out.push_back({{e.to_string()}, std::nullopt, {t.url.text}});
  return out;
}

namespace {

// The key two trackers' answers about one peer share: its record id, or
// for BitTorrent its address.
std::string identity(const FoundPeer& p) {
  if (p.record) return p.record->id.hex();
  return p.addresses.empty() ? std::string() : p.addresses.front();
}

// Keeps the freshest copy of each peer, remembering every tracker that
// knew it.
void merge(std::vector<FoundPeer> found, std::map<std::string, FoundPeer>& into) {
  for (auto& p : found) {
    auto [it, inserted] = into.try_emplace(identity(p), p);
    if (inserted) continue;
    auto& held = it->second;
    held.trackers.push_back(p.trackers.front());
    if (p.record && held.record && p.record->last_seen < held.record->last_seen) {
      p.trackers = held.trackers;
      held = std::move(p);
    }
  }
}

}  // namespace

LookupOutcome Client::lookup(std::string_view capability) {
  struct TierAnswer {
    std::vector<FoundPeer> peers;
    TierOutcome outcome;
    std::optional<core::Family> family;  // of the peers the answering tracker can give
  };
  std::vector<std::future<TierAnswer>> running;
  for (std::size_t tier = 0; tier < tiers_.size(); ++tier) {
    running.push_back(std::async(std::launch::async, [this, tier, capability] {
      TierAnswer a;
      a.outcome = on_tier(tier, [&](Tracker& t) -> Result<std::uint32_t> {
        auto found = lookup_at(t, capability);
        if (!found) return found.error();
        a.peers = std::move(*found);
        if (subject_.kind == Subject::Kind::info_hash && t.udp_scheme())
          a.family = t.udp->ipv6() ? core::Family::v6 : core::Family::v4;
        return 0u;
      });
      return a;
    }));
  }
  LookupOutcome out;
  std::map<std::string, FoundPeer> merged;
  for (auto& f : running) {
    auto a = f.get();
    if (!a.outcome.ok()) {
      out.errors.push_back(a.outcome.failure());
      continue;
    }
    ++out.tiers_answered;
    if (a.family) out.one_family.push_back({a.outcome.tracker, *a.family});
    merge(std::move(a.peers), merged);
  }
  for (auto& [key, p] : merged) out.peers.push_back(std::move(p));
  return out;
}

void Announcer::run(const std::atomic<bool>& stop, const Report& report, bool once) {
  using Clock = std::chrono::steady_clock;
  const std::size_t n = client_.tier_count();
  std::vector<Clock::time_point> due(n, Clock::now());
  std::vector<int> failures(n, 0);
  std::vector<bool> accepted(n, false);
  // Tiers that are due go out in parallel, so a dead tracker in one tier
  // never delays another.
  while (!stop.load()) {
    std::vector<std::pair<std::size_t, std::future<TierOutcome>>> running;
    for (std::size_t tier = 0; tier < n; ++tier)
      if (Clock::now() >= due[tier])
        running.emplace_back(tier, std::async(std::launch::async, [this, tier] {
                               return client_.announce(tier, presence_);
                             }));
    for (auto& [tier, f] : running) {
      auto outcome = f.get();
      report(outcome, false);
      // No answer: back off 1, 2, 4 ... 60 s; else come back when told.
      failures[tier] = outcome.ok() ? 0 : std::min(failures[tier] + 1, 7);
      accepted[tier] = accepted[tier] || outcome.ok();
      const auto wait =
          outcome.ok() ? std::chrono::seconds(std::max<std::uint32_t>(outcome.reannounce_after, 1))
                       : std::chrono::seconds(std::min(60, 1 << (failures[tier] - 1)));
      due[tier] = Clock::now() + wait;
    }
    if (once) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::vector<std::future<TierOutcome>> leaving;
  for (std::size_t tier = 0; tier < n; ++tier)
    if (accepted[tier])
      leaving.push_back(std::async(std::launch::async,
                                   [this, tier] { return client_.withdraw(tier, presence_); }));
  for (auto& f : leaving) report(f.get(), true);
}

}  // namespace cairn::client
