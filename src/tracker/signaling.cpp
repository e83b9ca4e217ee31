#include "tracker/signaling.hpp"

#include <algorithm>
#include <boost/unordered/unordered_flat_map.hpp>

#include "core/random.hpp"

namespace cairn::tracker {

namespace {

constexpr std::size_t kShards = 256;  // a power of two

// An offer this peer sent that `from` may answer until `until`.
struct Expected {
  core::PeerId from;
  core::OfferId offer;
  core::Seconds until = 0;
};

struct Peer {
  core::PeerId id;
  ConnectionId connection;
  core::Seconds last_seen = 0;
  bool seeder = false;
  bool completed = false;  // counted as a download already
  std::vector<Expected> expected;
};

struct Swarm {
  std::vector<Peer> peers;
  boost::unordered_flat_map<core::PeerId, std::uint32_t, core::Id20Hash> index;
  std::uint32_t seeders = 0;
  std::uint32_t downloaded = 0;

  Peer* find(const core::PeerId& id) {
    auto it = index.find(id);
    return it == index.end() ? nullptr : &peers[it->second];
  }
  const Peer* find(const core::PeerId& id) const {
    auto it = index.find(id);
    return it == index.end() ? nullptr : &peers[it->second];
  }
  store::SwarmCounts counts() const {
    return {seeders, static_cast<std::uint32_t>(peers.size()) - seeders, downloaded};
  }
  void remove(std::uint32_t at) {
    if (peers[at].seeder) --seeders;
    index.erase(peers[at].id);
    if (at + 1 != peers.size()) {
      peers[at] = std::move(peers.back());
      index[peers[at].id] = at;
    }
    peers.pop_back();
  }
};

// Keeps the offers a peer may still be answered for: drops those past
// their time, then the oldest beyond `cap` once `adding` more arrive.
void prune(std::vector<Expected>& expected, core::Seconds now, std::size_t cap,
           std::size_t adding) {
  std::erase_if(expected, [now](const Expected& e) { return e.until <= now; });
  if (expected.size() + adding > cap) {
    const std::size_t drop = std::min(expected.size(), expected.size() + adding - cap);
    expected.erase(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  if (expected.empty()) std::vector<Expected>().swap(expected);  // idle peers hold nothing
}

// Up to `k` distinct indices in [0, n) other than `skip`, at random.
void pick(std::uint32_t n, std::uint32_t skip, std::uint32_t k, core::Rng& rng,
          std::vector<std::uint32_t>& out) {
  out.clear();
  const std::uint32_t others = n - (skip < n ? 1 : 0);
  if (others <= k) {
    for (std::uint32_t i = 0; i < n; ++i)
      if (i != skip) out.push_back(i);
    // Still a random order: which offer goes to whom should not depend on
    // the order peers joined in.
    for (std::size_t i = out.size(); i > 1; --i)
      std::swap(out[i - 1], out[rng.below(static_cast<std::uint32_t>(i))]);
    return;
  }
  while (out.size() < k) {  // k is small and n larger than k: few retries
    const std::uint32_t i = rng.below(n);
    if (i != skip && std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  }
}

}  // namespace

struct SignalingSwarms::Shard {
  mutable std::mutex mutex;
  boost::unordered_flat_map<core::InfoHash, Swarm, core::Id20Hash> swarms;
};

std::string_view error_text(SignalingError e) {
  switch (e) {
    case SignalingError::peer_id_in_use:
      return "peer_id in use by another connection";
    case SignalingError::torrent_limit:
      return "tracker is full";
    case SignalingError::not_in_swarm:
      return "answer from a peer_id that has not announced this torrent on this connection";
    case SignalingError::no_such_offer:
      return "no such offer: it was not sent to this peer, was answered already, or expired";
  }
  return "internal error";
}

SignalingSwarms::SignalingSwarms(SignalingLimits limits)
    : limits_(limits), shards_(std::make_unique<Shard[]>(kShards)) {}

SignalingSwarms::~SignalingSwarms() = default;

SignalingSwarms::Shard& SignalingSwarms::shard_of(const core::InfoHash& h) const {
  // The hash's last bytes: the map inside the shard hashes its first ones.
  return shards_[(std::size_t{h.bytes[18]} << 8 | h.bytes[19]) & (kShards - 1)];
}

core::Result<store::SwarmCounts, SignalingError> SignalingSwarms::announce(
    const SignalAnnounce& a, std::span<const core::OfferId> offer_ids, core::Seconds now,
    std::uint64_t random, std::vector<OfferTarget>& targets) {
  targets.clear();
  Shard& shard = shard_of(a.info_hash);
  std::lock_guard lock(shard.mutex);
  auto it = shard.swarms.find(a.info_hash);
  if (it == shard.swarms.end()) {
    if (a.event == core::Event::stopped) return store::SwarmCounts{};
    if (!a.may_grow || swarms_.load(std::memory_order_relaxed) >= limits_.max_torrents)
      return SignalingError::torrent_limit;
    it = shard.swarms.try_emplace(a.info_hash).first;
    swarms_.fetch_add(1, std::memory_order_relaxed);
  }
  Swarm& swarm = it->second;
  Peer* peer = swarm.find(a.peer_id);
  if (peer && peer->connection != a.connection) return SignalingError::peer_id_in_use;
  if (a.event == core::Event::stopped) {
    if (peer) swarm.remove(swarm.index[a.peer_id]);
    const auto counts = swarm.counts();
    if (swarm.peers.empty()) {
      shard.swarms.erase(it);
      swarms_.fetch_sub(1, std::memory_order_relaxed);
    }
    return counts;
  }
  if (!peer && a.may_grow && swarm.peers.size() < limits_.max_peers_per_torrent) {
    swarm.index[a.peer_id] = static_cast<std::uint32_t>(swarm.peers.size());
    peer = &swarm.peers.emplace_back();
    peer->id = a.peer_id;
    peer->connection = a.connection;
  }
  if (!peer) {
    const auto counts = swarm.counts();
    if (swarm.peers.empty()) {  // made for this announce and never filled
      shard.swarms.erase(it);
      swarms_.fetch_sub(1, std::memory_order_relaxed);
    }
    return counts;
  }
  peer->last_seen = now;
  if (a.seeder != peer->seeder) {
    a.seeder ? ++swarm.seeders : --swarm.seeders;
    peer->seeder = a.seeder;
  }
  if (a.event == core::Event::completed && !peer->completed) {
    peer->completed = true;
    ++swarm.downloaded;
  }
  const auto k =
      static_cast<std::uint32_t>(std::min<std::size_t>(offer_ids.size(), limits_.max_offers));
  if (k > 0) {
    core::Rng rng(random);
    thread_local std::vector<std::uint32_t> chosen;  // a worker's scratch: no allocation per offer
    const std::uint32_t self = swarm.index[a.peer_id];
    pick(static_cast<std::uint32_t>(swarm.peers.size()), self, k, rng, chosen);
    Peer& sender = swarm.peers[self];
    prune(sender.expected, now, 4 * std::size_t{limits_.max_offers}, chosen.size());
    for (std::uint32_t i = 0; i < chosen.size(); ++i) {
      const Peer& to = swarm.peers[chosen[i]];
      targets.push_back({to.id, to.connection, i});
      sender.expected.push_back({to.id, offer_ids[i], now + limits_.offer_ttl});
    }
  }
  return swarm.counts();
}

core::Result<ConnectionId, SignalingError> SignalingSwarms::answer(
    const core::InfoHash& info_hash, const core::PeerId& from, const ConnectionId& by,
    const core::PeerId& to, const core::OfferId& offer_id, core::Seconds now) {
  Shard& shard = shard_of(info_hash);
  std::lock_guard lock(shard.mutex);
  auto it = shard.swarms.find(info_hash);
  if (it == shard.swarms.end()) return SignalingError::not_in_swarm;
  Swarm& swarm = it->second;
  const Peer* answering = swarm.find(from);
  if (!answering || answering->connection != by) return SignalingError::not_in_swarm;
  Peer* offering = swarm.find(to);
  if (!offering) return SignalingError::no_such_offer;
  auto& expected = offering->expected;
  auto e = std::find_if(expected.begin(), expected.end(), [&](const Expected& x) {
    return x.from == from && x.offer == offer_id && x.until > now;
  });
  if (e == expected.end()) return SignalingError::no_such_offer;
  expected.erase(e);
  return offering->connection;
}

void SignalingSwarms::leave(const core::InfoHash& info_hash, const core::PeerId& peer_id,
                            const ConnectionId& connection) {
  Shard& shard = shard_of(info_hash);
  std::lock_guard lock(shard.mutex);
  auto it = shard.swarms.find(info_hash);
  if (it == shard.swarms.end()) return;
  Swarm& swarm = it->second;
  auto at = swarm.index.find(peer_id);
  if (at == swarm.index.end() || swarm.peers[at->second].connection != connection) return;
  swarm.remove(at->second);
  if (swarm.peers.empty()) {
    shard.swarms.erase(it);
    swarms_.fetch_sub(1, std::memory_order_relaxed);
  }
}

std::optional<ConnectionId> SignalingSwarms::where(const core::InfoHash& info_hash,
                                                   const core::PeerId& peer_id) const {
  Shard& shard = shard_of(info_hash);
  std::lock_guard lock(shard.mutex);
  auto it = shard.swarms.find(info_hash);
  if (it == shard.swarms.end()) return std::nullopt;
  const Peer* p = it->second.find(peer_id);
  if (p == nullptr) return std::nullopt;
  return p->connection;
}

store::SwarmCounts SignalingSwarms::counts(const core::InfoHash& info_hash) const {
  Shard& shard = shard_of(info_hash);
  std::lock_guard lock(shard.mutex);
  auto it = shard.swarms.find(info_hash);
  return it == shard.swarms.end() ? store::SwarmCounts{} : it->second.counts();
}

void SignalingSwarms::list(const store::PeerStore::SwarmPage& visit) const {
  std::vector<store::SwarmEntry> page;
  for (std::size_t s = 0; s < kShards; ++s) {
    page.clear();
    {
      std::lock_guard lock(shards_[s].mutex);
      for (const auto& [hash, swarm] : shards_[s].swarms) {
        const auto counts = swarm.counts();
        if (counts.seeders + counts.leechers > 0) page.push_back({hash, counts});
      }
    }
    if (!page.empty()) visit(page);
  }
}

std::uint64_t SignalingSwarms::expire(core::Seconds now) {
  std::uint64_t removed = 0;
  const std::size_t cap = 4 * std::size_t{limits_.max_offers};
  for (std::size_t s = 0; s < kShards; ++s) {
    Shard& shard = shards_[s];
    std::lock_guard lock(shard.mutex);
    const auto dropped = boost::unordered::erase_if(shard.swarms, [&](auto& entry) {
      Swarm& swarm = entry.second;
      for (std::uint32_t i = 0; i < swarm.peers.size();) {
        if (swarm.peers[i].last_seen + limits_.peer_ttl <= now) {
          swarm.remove(i);
          ++removed;
          continue;
        }
        prune(swarm.peers[i].expected, now, cap, 0);
        ++i;
      }
      return swarm.peers.empty();
    });
    swarms_.fetch_sub(dropped, std::memory_order_relaxed);
  }
  return removed;
}

SignalingStats SignalingSwarms::stats() const {
  SignalingStats s;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    s.torrents += shards_[i].swarms.size();
    for (const auto& [hash, swarm] : shards_[i].swarms) {
      s.peers += swarm.peers.size();
      for (const auto& p : swarm.peers) s.offers_pending += p.expected.size();
    }
  }
  return s;
}

JoinedTorrents::Join JoinedTorrents::join(const core::InfoHash& info_hash,
                                          const core::PeerId& peer_id, std::size_t max) {
  for (const auto& e : entries_)
    if (e.info_hash == info_hash) return e.peer_id == peer_id ? Join::known : Join::other_peer_id;
  if (entries_.size() >= max) return Join::too_many;
  entries_.push_back({info_hash, peer_id});
  return Join::added;
}

bool JoinedTorrents::holds(const core::InfoHash& info_hash, const core::PeerId& peer_id) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.info_hash == info_hash && e.peer_id == peer_id;
  });
}

void JoinedTorrents::remove(const core::InfoHash& info_hash) {
  std::erase_if(entries_, [&](const Entry& e) { return e.info_hash == info_hash; });
  if (entries_.empty()) std::vector<Entry>().swap(entries_);
}

}  // namespace cairn::tracker
