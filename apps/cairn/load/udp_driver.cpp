#include "load/udp_driver.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "codec/udp_tracker.hpp"
#include "load/datagram_loop.hpp"
#include "load/sockets.hpp"

namespace cairn::load {

namespace udp = codec::udp;

namespace {

// Largest request: an announce carrying a passkey as BEP 41 URL data
// (98 + 2 + 42 bytes); a scrape of 4 hashes is 96.
constexpr std::size_t kTxBytes = 160;
constexpr std::size_t kRxBytes = 4096;           // an announce reply of 200 IPv6 peers fits
constexpr unsigned kBatch = 32;                  // datagrams per sendmmsg
constexpr Micros kConnectionIdAge = 60'000'000;  // BEP 15 clients reconnect after a minute
constexpr Micros kTick = 5'000;                  // timeout scan and idle wake-up
constexpr std::uint64_t kLeecherLeft = 1 << 20;

struct Slot {
  bool busy = false;
  bool connect = false;      // waiting for a connect reply
  bool has_request = false;  // false: a connection id refresh with nothing after it
  std::uint16_t seq = 0;     // upper half of the transaction id: late replies are stale
  std::uint16_t size = 0;    // encoded bytes in the lane's tx buffer
  Micros sent = 0;
  PlannedRequest request;
};

struct Pending {
  std::uint16_t slot;
  std::uint16_t seq;
};

struct Lane {
  int fd = -1;
  Traffic traffic;
  std::vector<Slot> slots;
  std::vector<std::uint16_t> free;
  std::vector<Pending> pending;  // encoded, not yet sent
  std::vector<std::uint8_t> tx;  // kTxBytes per slot
  std::uint32_t busy = 0;
  std::uint64_t connection_id = 0;
  Micros connection_at = 0;
  bool have_connection_id = false;
  bool connect_in_flight = false;

  explicit Lane(Traffic t) : traffic(std::move(t)) {}
  std::uint32_t txid(std::uint16_t slot) const {
    return std::uint32_t{slots[slot].seq} << 16 | slot;
  }
  std::span<std::uint8_t> buffer(std::uint16_t slot) {
    return {tx.data() + slot * kTxBytes, kTxBytes};
  }
  bool done() const { return busy == 0 && traffic.exhausted(); }
};

class UdpDriver {
 public:
  explicit UdpDriver(const DriverSetup& setup);
  ~UdpDriver();
  DriverResult run();

 private:
  void open_lanes();
  void pump(Lane& lane, Micros now);
  void flush(Lane& lane, Micros now);
  std::uint16_t take_slot(Lane& lane);
  void release(Lane& lane, std::uint16_t slot);
  void encode_connect(Lane& lane, std::uint16_t slot);
  void encode_request(Lane& lane, std::uint16_t slot, std::uint64_t connection_id);
  void receive(Lane& lane, Micros now);
  void handle(Lane& lane, std::span<const std::uint8_t> packet, Micros now);
  bool check(Lane& lane, Slot& slot, const udp::Response& reply, Stats& s, Micros now);
  void expire(Micros now);
  bool all_done() const;

  const DriverSetup& setup_;
  const Options& options_;
  const Workload& workload_;
  core::Family family_;
  StatsSink sink_;
  std::vector<Lane> lanes_;
  int epoll_ = -1;
  udp::AnnounceRequest announce_;  // reused: it carries a 1 KiB option buffer
  std::array<mmsghdr, kBatch> msgs_{};
  std::array<iovec, kBatch> iovs_{};
  DatagramReceiver receiver_{kRxBytes};
};

UdpDriver::UdpDriver(const DriverSetup& setup)
    : setup_(setup),
      options_(*setup.options),
      workload_(*setup.workload),
      family_(options_.target.family()),
      sink_(setup.clock) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
  if (!options_.passkey.empty()) {  // BEP 41 URL data, as a private tracker wants it
    const std::string url = "/" + options_.passkey + "/announce";
    std::memcpy(announce_.url_data.data(), url.data(), url.size());
    announce_.url_data_size = url.size();
  }
  open_lanes();
}

UdpDriver::~UdpDriver() {
  for (auto& lane : lanes_)
    if (lane.fd >= 0) ::close(lane.fd);
  if (epoll_ >= 0) ::close(epoll_);
}

void UdpDriver::open_lanes() {
  lanes_.reserve(setup_.lane_count);
  for (std::uint32_t i = 0; i < setup_.lane_count; ++i) {
    auto& lane = lanes_.emplace_back(setup_.traffic_for(setup_.first_lane + i));
    lane.fd = open_udp(source_endpoint(family_, lane.traffic.address()), options_.target);
    lane.slots.resize(options_.window);
    lane.tx.resize(options_.window * kTxBytes);
    lane.pending.reserve(options_.window);
    for (std::uint32_t s = options_.window; s-- > 0;)
      lane.free.push_back(static_cast<std::uint16_t>(s));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = i;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, lane.fd, &ev) != 0)
      throw std::runtime_error("epoll_ctl failed");
  }
}

std::uint16_t UdpDriver::take_slot(Lane& lane) {
  auto slot = lane.free.back();
  lane.free.pop_back();
  lane.slots[slot].busy = true;
  ++lane.busy;
  return slot;
}

void UdpDriver::release(Lane& lane, std::uint16_t slot) {
  lane.slots[slot].busy = false;
  --lane.busy;
  lane.free.push_back(slot);
}

void UdpDriver::encode_connect(Lane& lane, std::uint16_t slot) {
  auto& s = lane.slots[slot];
  ++s.seq;
  s.connect = true;
  s.size =
      static_cast<std::uint16_t>(udp::encode_connect_request(lane.txid(slot), lane.buffer(slot)));
  lane.pending.push_back({slot, s.seq});
}

void UdpDriver::encode_request(Lane& lane, std::uint16_t slot, std::uint64_t connection_id) {
  auto& s = lane.slots[slot];
  ++s.seq;
  s.connect = false;
  const auto& r = s.request;
  if (r.kind == PlannedRequest::Kind::scrape) {
    std::array<core::InfoHash, PlannedRequest::kMaxScrape> hashes;
    for (unsigned i = 0; i < r.hash_count; ++i) hashes[i] = workload_.hash(r.torrents[i]);
    s.size = static_cast<std::uint16_t>(udp::encode_scrape_request(
        connection_id, lane.txid(slot), std::span(hashes.data(), r.hash_count), lane.buffer(slot)));
  } else {
    auto& a = announce_;
    a.connection_id = connection_id;
    a.transaction_id = lane.txid(slot);
    a.info_hash = workload_.hash(workload_.torrent_of(r.peer));
    a.peer_id = workload_.peer_id(r.peer);
    a.left = r.seeder ? 0 : kLeecherLeft;
    a.event = r.event;
    a.key = r.peer;
    a.numwant = options_.numwant;
    a.port = workload_.port_of(r.peer);
    s.size = static_cast<std::uint16_t>(udp::encode_announce_request(a, lane.buffer(slot)));
  }
  lane.pending.push_back({slot, s.seq});
}

// Keeps the window full. In `udp` mode the lane holds one connection id and
// refreshes it once a minute (old id still used meanwhile, as trackers
// accept it for two); in `udp-connect` mode every request starts with one.
void UdpDriver::pump(Lane& lane, Micros now) {
  bool per_request = options_.mode == Mode::udp_connect;
  if (!per_request && !lane.connect_in_flight && !lane.free.empty() && !lane.traffic.exhausted() &&
      (!lane.have_connection_id || now - lane.connection_at >= kConnectionIdAge)) {
    auto slot = take_slot(lane);
    lane.slots[slot].sent = now;  // a packet stuck unsent still times out
    lane.slots[slot].has_request = false;
    lane.connect_in_flight = true;
    encode_connect(lane, slot);
  }
  while ((per_request || lane.have_connection_id) && !lane.free.empty()) {
    PlannedRequest r;
    if (!lane.traffic.next(r)) break;
    auto slot = take_slot(lane);
    lane.slots[slot].sent = now;
    lane.slots[slot].request = r;
    lane.slots[slot].has_request = true;
    if (per_request)
      encode_connect(lane, slot);
    else
      encode_request(lane, slot, lane.connection_id);
  }
  flush(lane, now);
}

void UdpDriver::flush(Lane& lane, Micros now) {
  // Drop entries whose slot timed out (or was re-encoded) while queued.
  std::erase_if(lane.pending, [&](const Pending& p) {
    return !lane.slots[p.slot].busy || lane.slots[p.slot].seq != p.seq;
  });
  std::size_t at = 0;
  while (at < lane.pending.size()) {
    unsigned n = static_cast<unsigned>(std::min<std::size_t>(kBatch, lane.pending.size() - at));
    for (unsigned i = 0; i < n; ++i) {
      auto slot = lane.pending[at + i].slot;
      iovs_[i] = {lane.buffer(slot).data(), lane.slots[slot].size};
      msgs_[i] = {};
      msgs_[i].msg_hdr.msg_iov = &iovs_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = ::sendmmsg(lane.fd, msgs_.data(), n, MSG_DONTWAIT);
    if (sent <= 0) break;  // full socket buffer or a queued ICMP error: retry next pump
    auto& stats = sink_.at(now);
    for (int i = 0; i < sent; ++i) lane.slots[lane.pending[at + i].slot].sent = now;
    stats.requests += static_cast<unsigned>(sent);
    at += static_cast<unsigned>(sent);
  }
  lane.pending.erase(lane.pending.begin(), lane.pending.begin() + static_cast<std::ptrdiff_t>(at));
}

void UdpDriver::receive(Lane& lane, Micros now) {
  receiver_.drain(
      lane.fd, [&](std::span<const std::uint8_t> packet) { handle(lane, packet, now); },
      [&] { ++sink_.at(now).invalid; });  // larger than any valid reply
}

void UdpDriver::handle(Lane& lane, std::span<const std::uint8_t> packet, Micros now) {
  auto& stats = sink_.at(now);
  auto reply = udp::parse_response(packet, family_);
  if (!reply) {
    ++stats.invalid;  // its slot, if any, ends as a timeout
    return;
  }
  auto txid = std::visit([](const auto& r) { return r.transaction_id; }, *reply);
  auto index = static_cast<std::uint16_t>(txid & 0xffff);
  if (index >= lane.slots.size()) {
    ++stats.invalid;
    return;
  }
  auto& slot = lane.slots[index];
  if (!slot.busy || slot.seq != txid >> 16) return;  // late reply to a request already timed out
  bool was_connect = slot.connect;
  if (!check(lane, slot, *reply, stats, now)) {
    ++stats.invalid;
    if (was_connect && !slot.has_request) lane.connect_in_flight = false;
    return release(lane, index);
  }
  ++stats.responses;
  stats.latency.record(static_cast<std::uint64_t>(now - slot.sent));
  if (was_connect && slot.has_request) {
    // udp-connect: the announce or scrape follows at once, in the same slot.
    encode_request(lane, index, std::get<udp::ConnectResponse>(*reply).connection_id);
    slot.sent = now;
    return;
  }
  release(lane, index);
}

// Is `reply` what this slot asked for? Counts the success by kind.
bool UdpDriver::check(Lane& lane, Slot& slot, const udp::Response& reply, Stats& s, Micros now) {
  if (slot.connect) {
    auto* c = std::get_if<udp::ConnectResponse>(&reply);
    if (!c) return false;
    ++s.connects;
    if (!slot.has_request) {
      lane.connection_id = c->connection_id;
      lane.connection_at = now;
      lane.have_connection_id = true;
      lane.connect_in_flight = false;
    }
    return true;
  }
  if (slot.request.kind == PlannedRequest::Kind::scrape) {
    auto* r = std::get_if<udp::ScrapeResponse>(&reply);
    if (!r || r->count() != slot.request.hash_count) return false;
    ++s.scrapes;
    return true;
  }
  auto* a = std::get_if<udp::AnnounceResponse>(&reply);
  if (!a || (options_.numwant >= 0 && a->peer_count() > static_cast<std::size_t>(options_.numwant)))
    return false;
  ++s.announces;
  s.announce_peers += a->peer_count();
  return true;
}

// A slot silent for --timeout-ms is a timeout; the slot is reused. A
// preload announce gets another try, so every peer lands.
void UdpDriver::expire(Micros now) {
  Micros limit = Micros{options_.timeout_ms} * 1000;
  for (auto& lane : lanes_) {
    for (std::size_t i = 0; i < lane.slots.size(); ++i) {  // --window: at most 4096
      auto& slot = lane.slots[i];
      if (!slot.busy || now - slot.sent < limit) continue;
      auto& stats = sink_.at(now);
      ++stats.timeouts;
      if (slot.connect && !slot.has_request) lane.connect_in_flight = false;
      if (slot.has_request && !lane.traffic.retry(slot.request)) ++stats.lost;
      release(lane, static_cast<std::uint16_t>(i));
    }
  }
}

bool UdpDriver::all_done() const {
  return std::all_of(lanes_.begin(), lanes_.end(), [](const Lane& l) { return l.done(); });
}

DriverResult UdpDriver::run() {
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

DriverResult run_udp(const DriverSetup& setup) { return UdpDriver(setup).run(); }

}  // namespace cairn::load
