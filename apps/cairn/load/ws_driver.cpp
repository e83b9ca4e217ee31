#include "load/ws_driver.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "codec/http_reply.hpp"
#include "codec/websocket_frame.hpp"
#include "core/random.hpp"
#include "load/sockets.hpp"
#include "load/ws_peer.hpp"
#include "load/ws_stream.hpp"

namespace cairn::load {

namespace {

namespace ws = codec::ws;

constexpr Micros kTick = 5'000;  // timeout scan, reconnect back-off
constexpr std::size_t kReadChunk = 64 << 10;
constexpr unsigned kPreloadTries = 3;  // a preload lane is given up after this many failures
// RFC 6455's sample key: servers only echo it hashed, so one key serves all.
constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
const ws::FrameLimits kLimits{1 << 20, 1 << 20};

struct Pending {
  WsPeer::Sent kind;
  Micros sent;
};

struct Conn {
  enum class State : std::uint8_t { closed, connecting, tls, upgrading, open, given_up };
  State state = State::closed;
  bool announced = false;  // preload: the one announce was answered
  bool asked = false;      // preload: this connection sent its announce
  std::uint8_t failures = 0;
  int fd = -1;
  WsStream stream;
  WsPeer peer;
  std::vector<Pending> inflight;  // announces and scrapes, oldest first (a window of a few)
  std::string out;                // frames (or the upgrade request) not yet written
  std::size_t out_at = 0;
  std::string in;  // an unfinished frame or HTTP head, kept between reads
  ws::MessageState frames;
  Micros since = 0;    // when the connection (or its handshake) began
  Micros replied = 0;  // the last announce or scrape reply
  Micros retry_at = 0;

  explicit Conn(WsPeer p) : peer(std::move(p)) {}
};

class WsDriver {
 public:
  explicit WsDriver(const DriverSetup& setup);
  ~WsDriver();
  DriverResult run();

 private:
  void open(Conn& c, std::uint32_t index, Micros now);
  void fail(Conn& c, Micros now, bool by_server);
  void on_event(Conn& c, Micros now);
  void step(Conn& c, Micros now);
  bool read_in(Conn& c, Micros now);
  bool upgraded(Conn& c, Micros now);
  bool frames_in(Conn& c, std::size_t size, Micros now);
  void on_message(Conn& c, std::string_view text, Micros now);
  void send_message(Conn& c, std::string_view text, ws::Opcode op = ws::Opcode::text);
  void fill(Conn& c, Micros now);
  bool write_out(Conn& c);
  void expire(Micros now);
  void revive(Micros now);
  bool lanes_settled() const;
  void settle();

  const DriverSetup& setup_;
  const Options& options_;
  const Workload& workload_;
  bool preload_;
  StatsSink sink_;
  core::Rng rng_;  // frame masks
  std::vector<Conn> conns_;
  std::vector<char> buffer_;  // one read's worth, shared by the thread's connections
  std::string message_;       // one message being encoded
  int epoll_ = -1;
};

WsDriver::WsDriver(const DriverSetup& setup)
    : setup_(setup),
      options_(*setup.options),
      workload_(*setup.workload),
      preload_(options_.preload),
      sink_(setup.clock),
      rng_(mix64(options_.seed ^ 0x6d61736bull ^ setup.first_lane)),
      buffer_(kReadChunk) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
  WsPeerMix mix{options_.offers, options_.scrape_ratio};
  conns_.reserve(setup.lane_count);
  for (std::uint32_t i = 0; i < setup.lane_count; ++i) {
    std::uint32_t lane = setup.first_lane + i;  // the lane is the peer
    conns_.emplace_back(
        WsPeer(workload_, lane, mix, mix64(options_.seed ^ (0x7773ull << 40) ^ lane)));
  }
}

WsDriver::~WsDriver() {
  for (auto& c : conns_) {
    c.stream.reset();
    if (c.fd >= 0) ::close(c.fd);
  }
  ::close(epoll_);
}

void WsDriver::open(Conn& c, std::uint32_t index, Micros now) {
  std::uint32_t lane = setup_.first_lane + index;
  c.fd = start_tcp_connect(
      source_endpoint(options_.target.family(), lane % options_.source_addresses), options_.target);
  if (c.fd < 0) {
    fail(c, now, false);  // e.g. no port or descriptor left: try again shortly
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u32 = index;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
  c.state = Conn::State::connecting;
  c.since = now;
}

// The peer's announces and scrapes in flight are lost with the
// connection; a new one announces `started` again (the tracker took the
// close as `stopped`).
void WsDriver::fail(Conn& c, Micros now, bool by_server) {
  c.stream.reset();
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  c.inflight.clear();
  c.out.clear();
  c.out_at = 0;
  c.in.clear();
  c.frames = {};
  c.asked = false;
  c.peer.restart();
  if (by_server) ++sink_.at(now).reconnects;
  c.state = Conn::State::closed;
  c.retry_at = now + kTick;
  if (preload_ && !c.announced && ++c.failures >= kPreloadTries) {
    c.state = Conn::State::given_up;
    ++sink_.at(now).lost;
    settle();
  }
}

void WsDriver::settle() {
  if (setup_.settled->fetch_add(1) + 1 == setup_.total_lanes) {
    // The whole run's lanes are settled: the benchmark measures the tracker now.
    std::printf("held: every connection has announced or was given up\n");
    std::fflush(stdout);
  }
}

void WsDriver::send_message(Conn& c, std::string_view text, ws::Opcode op) {
  ws::write_masked_frame(c.out, op, text, static_cast<std::uint32_t>(rng_.next()));
}

// Announces and scrapes up to the window (preload: the one announce), once
// the answers to the peer's last offers are in, or --timeout-ms after the
// reply (counted as unanswered).
void WsDriver::fill(Conn& c, Micros now) {
  auto& stats = sink_.at(now);
  if (!c.peer.answered() && c.inflight.empty()) {
    if (now - c.replied < Micros{options_.timeout_ms} * 1000) return;
    stats.unanswered += c.peer.stop_awaiting();
  }
  while (c.inflight.size() < options_.window && !(preload_ && c.asked)) {
    c.asked = true;
    message_.clear();
    auto kind = c.peer.next_request(!preload_, message_);
    send_message(c, message_);
    c.inflight.push_back({kind, now});
    ++stats.requests;
  }
}

bool WsDriver::write_out(Conn& c) {
  while (c.out_at < c.out.size()) {
    std::size_t put = 0;
    auto io = c.stream.write(c.out.data() + c.out_at, c.out.size() - c.out_at, put);
    if (io == WsStream::Io::again) return true;
    if (io != WsStream::Io::ok) return false;
    c.out_at += put;
  }
  c.out.clear();
  c.out_at = 0;
  return true;
}

void WsDriver::on_message(Conn& c, std::string_view text, Micros now) {
  auto& stats = sink_.at(now);
  message_.clear();
  auto got = c.peer.on_message(text, message_);
  switch (got) {
    case WsPeer::Got::announce_reply:
    case WsPeer::Got::scrape_reply: {
      auto kind = got == WsPeer::Got::scrape_reply ? WsPeer::Sent::scrape : WsPeer::Sent::announce;
      if (c.inflight.empty() || c.inflight.front().kind != kind) {
        ++stats.invalid;  // a reply nobody asked for
        return;
      }
      ++stats.responses;
      ++(kind == WsPeer::Sent::scrape ? stats.scrapes : stats.announces);
      stats.latency.record(static_cast<std::uint64_t>(now - c.inflight.front().sent));
      c.inflight.erase(c.inflight.begin());
      c.replied = now;
      if (preload_ && kind == WsPeer::Sent::announce && !c.announced) {
        c.announced = true;
        settle();
      }
      return;
    }
    case WsPeer::Got::offer:
      ++stats.responses;
      ++stats.offers;
      send_message(c, message_);
      ++stats.requests;
      ++stats.answers_sent;
      return;
    case WsPeer::Got::answer:
      ++stats.responses;
      ++stats.answers;
      return;
    case WsPeer::Got::error:
      ++stats.errors;
      ++stats.invalid;
      return;
    case WsPeer::Got::invalid:
      ++stats.invalid;
      return;
  }
}

// The 101 answer to the upgrade: its status and Sec-WebSocket-Accept.
bool WsDriver::upgraded(Conn& c, Micros now) {
  codec::HttpReplyHead head;
  auto status = codec::parse_http_reply_head(c.in, head);
  if (status == codec::ReplyHeadStatus::incomplete) return true;
  static const std::string accept = "Sec-WebSocket-Accept: " + ws::accept_key(kKey) + "\r\n";
  std::string_view text(c.in.data(), head.head_size);
  if (status != codec::ReplyHeadStatus::complete || head.status != 101 ||
      text.find(accept) == std::string_view::npos) {
    ++sink_.at(now).invalid;
    return false;
  }
  c.in.erase(0, head.head_size);
  c.state = Conn::State::open;
  ++sink_.result().opened;  // over the whole run, warm-up too
  fill(c, now);
  return true;
}

// Hands every whole frame of c.in + buffer_[0, size) to on_message and
// keeps the rest (an unfinished frame) in c.in. False: close.
bool WsDriver::frames_in(Conn& c, std::size_t size, Micros now) {
  std::span<char> bytes(buffer_.data(), size);
  if (!c.in.empty()) {
    c.in.append(buffer_.data(), size);
    bytes = std::span<char>(c.in.data(), c.in.size());
  }
  std::size_t pos = 0;
  for (;;) {
    auto e = ws::next_event(bytes, pos, c.frames, kLimits, ws::Role::client);
    switch (e.kind) {
      case ws::EventKind::need_more: {
        std::string rest(bytes.data() + pos, bytes.size() - pos);
        c.in = std::move(rest);
        return true;
      }
      case ws::EventKind::message:
        on_message(c, e.payload, now);
        break;
      case ws::EventKind::ping:
        send_message(c, e.payload, ws::Opcode::pong);
        break;
      case ws::EventKind::pong:
        break;
      case ws::EventKind::close:
        return false;
      case ws::EventKind::error:
        ++sink_.at(now).invalid;
        return false;
    }
  }
}

// Reads until the socket is drained (edge-triggered).
bool WsDriver::read_in(Conn& c, Micros now) {
  for (;;) {
    std::size_t got = 0;
    auto io = c.stream.read(buffer_.data(), buffer_.size(), got);
    if (io == WsStream::Io::again) return true;
    if (io != WsStream::Io::ok) return false;
    if (c.state == Conn::State::upgrading) {
      c.in.append(buffer_.data(), got);
      if (!upgraded(c, now)) return false;
      // Frames that came right behind the head are in c.in already.
      if (c.state == Conn::State::open && !c.in.empty() && !frames_in(c, 0, now)) return false;
      continue;
    }
    if (!frames_in(c, got, now)) return false;
  }
}

// Drives one connection as far as its socket allows.
void WsDriver::step(Conn& c, Micros now) {
  if (c.state == Conn::State::tls) {
    auto io = c.stream.handshake();
    if (io == WsStream::Io::again) return;
    if (io != WsStream::Io::ok) return fail(c, now, false);
    c.state = Conn::State::upgrading;
    c.out.append("GET /announce HTTP/1.1\r\nHost: ").append(options_.target_text);
    c.out.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
    c.out.append(kKey).append("\r\nSec-WebSocket-Version: 13\r\n\r\n");
  }
  if (!read_in(c, now)) return fail(c, now, true);
  if (c.state == Conn::State::open) fill(c, now);
  if (!write_out(c)) fail(c, now, true);
}

void WsDriver::on_event(Conn& c, Micros now) {
  if (c.state == Conn::State::connecting) {
    int error = 0;
    socklen_t size = sizeof error;
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) return fail(c, now, false);
    if (!c.stream.attach(c.fd, setup_.tls)) return fail(c, now, false);
    c.state = Conn::State::tls;  // plain ws passes through at once
  }
  step(c, now);
}

// An announce or scrape later than --timeout-ms, or a connection not
// upgraded by then, starts the connection over.
void WsDriver::expire(Micros now) {
  Micros limit = Micros{options_.timeout_ms} * 1000;
  for (auto& c : conns_) {
    bool opening = c.state == Conn::State::connecting || c.state == Conn::State::tls ||
                   c.state == Conn::State::upgrading;
    if (opening && now - c.since >= limit) {
      ++sink_.at(now).timeouts;
      fail(c, now, false);
      continue;
    }
    if (c.state == Conn::State::open && c.inflight.empty()) {
      fill(c, now);  // a peer whose awaited answers did not all come
      if (!write_out(c)) fail(c, now, true);
      continue;
    }
    if (c.state != Conn::State::open || c.inflight.empty() || now - c.inflight.front().sent < limit)
      continue;
    sink_.at(now).timeouts += c.inflight.size();
    fail(c, now, false);
  }
}

void WsDriver::revive(Micros now) {
  for (std::uint32_t i = 0; i < conns_.size(); ++i) {
    auto& c = conns_[i];
    if (c.state == Conn::State::closed && c.retry_at <= now) open(c, i, now);
  }
}

bool WsDriver::lanes_settled() const { return setup_.settled->load() >= setup_.total_lanes; }

DriverResult WsDriver::run() {
  const auto& clock = setup_.clock;
  Micros now = now_us(), last_scan = now;
  Micros hold_until = INT64_MAX;  // preload: set once every lane has settled
  revive(now);
  std::array<epoll_event, 256> events;
  while (!clock.over(now) && now < hold_until) {
    int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), kTick / 1000);
    now = now_us();
    for (int i = 0; i < n; ++i) {
      auto index = events[i].data.u32;
      if (conns_[index].fd >= 0) on_event(conns_[index], now);
    }
    if (now - last_scan >= kTick) {
      last_scan = now;
      expire(now);
      revive(now);
      if (preload_ && hold_until == INT64_MAX && lanes_settled())
        hold_until = now + static_cast<Micros>(options_.hold_s * 1e6);
    }
  }
  return {sink_.result(), now};
}

}  // namespace

DriverResult run_ws(const DriverSetup& setup) { return WsDriver(setup).run(); }

}  // namespace cairn::load
