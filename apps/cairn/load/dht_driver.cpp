#include "load/dht_driver.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "codec/krpc.hpp"
#include "core/random.hpp"
#include "load/datagram_loop.hpp"
#include "load/sockets.hpp"

namespace cairn::load {

namespace krpc = codec::krpc;

namespace {

constexpr std::size_t kTxBytes = 160;  // the largest query, get_peers: about 110 bytes
constexpr std::size_t kRxBytes = 2048;
constexpr unsigned kBatch = 32;
constexpr Micros kTick = 5'000;

enum class Kind : std::uint8_t { ping, find_node, get_peers };

struct Slot {
  bool busy = false;
  Kind kind = Kind::ping;
  std::uint16_t seq = 0;  // half of the transaction id: late replies are stale
  std::uint16_t size = 0;
  Micros sent = 0;
};

struct Lane {
  int fd = -1;
  core::Rng rng;
  std::array<std::uint8_t, 20> id{};  // this lane's node id
  std::uint32_t address = 0;          // source address index
  std::uint64_t quota = UINT64_MAX, planned = 0;
  std::vector<Slot> slots;
  std::vector<std::uint16_t> free;
  std::vector<std::uint16_t> pending;  // encoded, not yet sent
  std::vector<std::uint8_t> tx;

  explicit Lane(std::uint64_t seed) : rng(seed) {}
  std::span<std::uint8_t> buffer(std::uint16_t slot) {
    return {tx.data() + slot * kTxBytes, kTxBytes};
  }
  bool exhausted() const { return planned >= quota; }
  bool done() const { return exhausted() && free.size() == slots.size(); }
};

class DhtDriver {
 public:
  explicit DhtDriver(const DriverSetup& setup);
  ~DhtDriver();
  DriverResult run();

 private:
  void open_lanes();
  void pump(Lane& lane, Micros now);
  void encode(Lane& lane, std::uint16_t slot);
  void flush(Lane& lane, Micros now);
  void receive(Lane& lane, Micros now);
  void handle(Lane& lane, std::span<const std::uint8_t> packet, Micros now);
  bool check(const Slot& slot, const krpc::Message& m, Stats& s) const;
  void release(Lane& lane, std::uint16_t slot);
  void expire(Micros now);
  bool all_done() const;
  Kind draw(Lane& lane) const;

  const DriverSetup& setup_;
  const Options& options_;
  const Workload& workload_;
  StatsSink sink_;
  std::vector<Lane> lanes_;
  int epoll_ = -1;
  std::array<mmsghdr, kBatch> msgs_{};
  std::array<iovec, kBatch> iovs_{};
  DatagramReceiver receiver_{kRxBytes};
};

DhtDriver::DhtDriver(const DriverSetup& setup)
    : setup_(setup), options_(*setup.options), workload_(*setup.workload), sink_(setup.clock) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
  open_lanes();
}

DhtDriver::~DhtDriver() {
  for (auto& lane : lanes_)
    if (lane.fd >= 0) ::close(lane.fd);
  if (epoll_ >= 0) ::close(epoll_);
}

void DhtDriver::open_lanes() {
  const std::uint32_t total = setup_.total_lanes;
  lanes_.reserve(setup_.lane_count);
  for (std::uint32_t i = 0; i < setup_.lane_count; ++i) {
    const std::uint32_t g = setup_.first_lane + i;
    auto& lane = lanes_.emplace_back(mix64(options_.seed ^ (0x646874ull << 32) ^ g));
    lane.address = g % workload_.address_count();
    for (auto& b : lane.id) b = static_cast<std::uint8_t>(lane.rng.next());
    if (options_.requests > 0)
      lane.quota = options_.requests / total + (g < options_.requests % total);
    lane.fd = open_udp(source_endpoint(options_.target.family(), lane.address), options_.target);
    lane.slots.resize(options_.window);
    lane.tx.resize(options_.window * kTxBytes);
    for (std::uint32_t s = options_.window; s-- > 0;)
      lane.free.push_back(static_cast<std::uint16_t>(s));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = i;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, lane.fd, &ev) != 0)
      throw std::runtime_error("epoll_ctl failed");
  }
}

Kind DhtDriver::draw(Lane& lane) const {
  const double u = static_cast<double>(lane.rng.next() >> 11) * 0x1p-53;
  if (u < options_.ping_ratio) return Kind::ping;
  if (u < options_.ping_ratio + options_.find_node_ratio) return Kind::find_node;
  return Kind::get_peers;
}

void DhtDriver::encode(Lane& lane, std::uint16_t slot) {
  auto& s = lane.slots[slot];
  ++s.seq;
  s.kind = draw(lane);
  std::array<std::uint8_t, 4> t = {
      static_cast<std::uint8_t>(slot >> 8), static_cast<std::uint8_t>(slot),
      static_cast<std::uint8_t>(s.seq >> 8), static_cast<std::uint8_t>(s.seq)};
  std::array<std::uint8_t, 20> target;
  krpc::Query q;
  q.transaction = {reinterpret_cast<const char*>(t.data()), t.size()};
  q.id = {reinterpret_cast<const char*>(lane.id.data()), lane.id.size()};
  switch (s.kind) {
    case Kind::ping:
      q.method = krpc::Method::ping;
      break;
    case Kind::find_node:
      q.method = krpc::Method::find_node;
      for (auto& b : target) b = static_cast<std::uint8_t>(lane.rng.next());
      q.target = {reinterpret_cast<const char*>(target.data()), target.size()};
      break;
    case Kind::get_peers: {
      // A peer drawn at random is in a torrent drawn by popularity (Zipf).
      q.method = krpc::Method::get_peers;
      const auto peer = static_cast<std::uint32_t>(lane.rng.below(workload_.peer_count()));
      target = workload_.hash(workload_.torrent_of(peer)).bytes;
      q.info_hash = {reinterpret_cast<const char*>(target.data()), target.size()};
      break;
    }
  }
  s.size = static_cast<std::uint16_t>(krpc::encode_query(q, lane.buffer(slot)));
  lane.pending.push_back(slot);
}

void DhtDriver::pump(Lane& lane, Micros now) {
  while (!lane.free.empty() && !lane.exhausted()) {
    const auto slot = lane.free.back();
    lane.free.pop_back();
    lane.slots[slot].busy = true;
    lane.slots[slot].sent = now;
    ++lane.planned;
    encode(lane, slot);
  }
  flush(lane, now);
}

void DhtDriver::flush(Lane& lane, Micros now) {
  std::size_t at = 0;
  while (at < lane.pending.size()) {
    const unsigned n =
        static_cast<unsigned>(std::min<std::size_t>(kBatch, lane.pending.size() - at));
    for (unsigned i = 0; i < n; ++i) {
      const auto slot = lane.pending[at + i];
      iovs_[i] = {lane.buffer(slot).data(), lane.slots[slot].size};
      msgs_[i] = {};
      msgs_[i].msg_hdr.msg_iov = &iovs_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    const int sent = ::sendmmsg(lane.fd, msgs_.data(), n, MSG_DONTWAIT);
    if (sent <= 0) break;  // full socket buffer or a queued ICMP error: retry next pump
    for (int i = 0; i < sent; ++i) lane.slots[lane.pending[at + i]].sent = now;
    sink_.at(now).requests += static_cast<unsigned>(sent);
    at += static_cast<unsigned>(sent);
  }
  lane.pending.erase(lane.pending.begin(), lane.pending.begin() + static_cast<std::ptrdiff_t>(at));
}

void DhtDriver::receive(Lane& lane, Micros now) {
  receiver_.drain(
      lane.fd, [&](std::span<const std::uint8_t> packet) { handle(lane, packet, now); },
      [&] { ++sink_.at(now).invalid; });  // larger than any valid reply
}

void DhtDriver::handle(Lane& lane, std::span<const std::uint8_t> packet, Micros now) {
  auto& stats = sink_.at(now);
  auto m = krpc::decode(packet);
  if (!m) {
    ++stats.invalid;
    return;
  }
  // The target pings a node back to verify it (docs/protocols.md): a query
  // here is that ping, not a reply; the load generator does not answer.
  if (m->type == krpc::Type::query) return;
  const auto t = m->transaction;
  if (t.size() != 4) {
    ++stats.invalid;
    return;
  }
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(t[i]); };
  const std::uint16_t index = static_cast<std::uint16_t>(byte(0) << 8 | byte(1));
  const std::uint16_t seq = static_cast<std::uint16_t>(byte(2) << 8 | byte(3));
  if (index >= lane.slots.size()) {
    ++stats.invalid;
    return;
  }
  auto& slot = lane.slots[index];
  if (!slot.busy || slot.seq != seq) return;  // late reply to a query already timed out
  if (!check(slot, *m, stats)) {
    ++stats.invalid;
  } else {
    ++stats.responses;
    stats.latency.record(static_cast<std::uint64_t>(now - slot.sent));
  }
  release(lane, index);
}

// A valid reply to this slot's query: a response with an id, and for
// get_peers a token; counts it by kind.
bool DhtDriver::check(const Slot& slot, const krpc::Message& m, Stats& s) const {
  if (m.type != krpc::Type::response || m.id.size() != krpc::kIdSize) return false;
  switch (slot.kind) {
    case Kind::ping:
      ++s.pings;
      return true;
    case Kind::find_node:
      ++s.find_nodes;
      return true;
    case Kind::get_peers:
      if (m.token.empty()) return false;
      ++s.get_peers;
      s.announce_peers += m.value_count;
      return true;
  }
  return false;
}

void DhtDriver::release(Lane& lane, std::uint16_t slot) {
  lane.slots[slot].busy = false;
  lane.free.push_back(slot);
}

void DhtDriver::expire(Micros now) {
  const Micros limit = Micros{options_.timeout_ms} * 1000;
  for (auto& lane : lanes_) {
    for (std::size_t i = 0; i < lane.slots.size(); ++i) {
      auto& slot = lane.slots[i];
      if (!slot.busy || now - slot.sent < limit) continue;
      ++sink_.at(now).timeouts;
      // A slot still queued for sending is dropped from the queue too.
      std::erase(lane.pending, static_cast<std::uint16_t>(i));
      release(lane, static_cast<std::uint16_t>(i));
    }
  }
}

bool DhtDriver::all_done() const {
  return std::all_of(lanes_.begin(), lanes_.end(), [](const Lane& l) { return l.done(); });
}

DriverResult DhtDriver::run() {
  const Micros end = run_datagram_loop(
      epoll_, setup_.clock, kTick,
      [&](std::uint32_t i, Micros now) {
        receive(lanes_[i], now);
        pump(lanes_[i], now);
      },
      [&](Micros now) {
        expire(now);
        for (auto& lane : lanes_) pump(lane, now);
      },
      [&] { return all_done(); });
  return {sink_.result(), end};
}

}  // namespace

DriverResult run_dht(const DriverSetup& setup) { return DhtDriver(setup).run(); }

}  // namespace cairn::load
