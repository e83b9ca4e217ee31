#include "load/http_driver.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "codec/http_reply.hpp"
#include "codec/http_tracker.hpp"
#include "load/http_reply.hpp"
#include "load/sockets.hpp"

namespace cairn::load {

namespace {

constexpr std::size_t kReadChunk = 16 << 10;
constexpr std::size_t kMaxReply = 1 << 20;  // larger replies are invalid
constexpr Micros kTick = 5'000;             // timeout scan, reconnect back-off
constexpr std::uint64_t kLeecherLeft = 1 << 20;

struct InFlight {
  PlannedRequest request;
  Micros sent = 0;
};

// The requests written on a connection and not yet answered, oldest first.
class Ring {
 public:
  explicit Ring(std::size_t capacity) : items_(capacity) {}
  std::size_t size() const { return size_; }
  bool full() const { return size_ == items_.size(); }
  InFlight& at(std::size_t i) { return items_[(head_ + i) % items_.size()]; }
  InFlight& front() { return at(0); }
  void push(const InFlight& f) { items_[(head_ + size_++) % items_.size()] = f; }
  void pop() {
    head_ = (head_ + 1) % items_.size();
    --size_;
  }

 private:
  std::vector<InFlight> items_;
  std::size_t head_ = 0, size_ = 0;
};

struct Conn {
  enum class State : std::uint8_t { closed, connecting, open };
  State state = State::closed;
  int fd = -1;
  Traffic traffic;
  Ring inflight;
  std::size_t written = 0;  // ring entries already written on this connection
  std::string out;
  std::size_t out_at = 0;
  std::vector<char> in;
  std::size_t in_len = 0;
  bool server_closed = false;  // the last connection ended by the server's choice
  Micros retry_at = 0;
  Micros opened_at = 0;

  Conn(Traffic t, std::size_t window) : traffic(std::move(t)), inflight(window), in(kReadChunk) {}
  bool done() const { return inflight.size() == 0 && traffic.exhausted(); }
};

class HttpDriver {
 public:
  explicit HttpDriver(const DriverSetup& setup);
  ~HttpDriver();
  DriverResult run();

 private:
  void open(Conn& c, std::uint32_t index, Micros now);
  void close(Conn& c, Micros now, bool by_server);
  void on_event(Conn& c, std::uint32_t index, std::uint32_t events, Micros now);
  void fill(Conn& c, Micros now);
  void encode(Conn& c, const PlannedRequest& r);
  bool write_out(Conn& c);
  bool read_in(Conn& c, Micros now);
  bool consume(Conn& c, bool eof, Micros now);
  bool complete(Conn& c, const codec::HttpReplyHead& head, std::string_view body, Micros now);
  void expire(Micros now);
  void revive(Micros now);
  bool all_done() const;

  const DriverSetup& setup_;
  const Options& options_;
  const Workload& workload_;
  bool keep_alive_;
  std::string path_prefix_;  // "/PASSKEY" with --passkey, else ""
  StatsSink sink_;
  std::vector<Conn> conns_;
  int epoll_ = -1;
};

HttpDriver::HttpDriver(const DriverSetup& setup)
    : setup_(setup),
      options_(*setup.options),
      workload_(*setup.workload),
      keep_alive_(options_.mode == Mode::http),
      path_prefix_(options_.passkey.empty() ? "" : "/" + options_.passkey),
      sink_(setup.clock) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
  std::size_t window = keep_alive_ ? options_.window : 1;
  conns_.reserve(setup.lane_count);
  for (std::uint32_t i = 0; i < setup.lane_count; ++i) {
    auto& c = conns_.emplace_back(setup.traffic_for(setup.first_lane + i), window);
    c.out.reserve(window * 512);
  }
}

HttpDriver::~HttpDriver() {
  for (auto& c : conns_)
    if (c.fd >= 0) ::close(c.fd);
  ::close(epoll_);
}

void HttpDriver::open(Conn& c, std::uint32_t index, Micros now) {
  c.fd = start_tcp_connect(source_endpoint(options_.target.family(), c.traffic.address()),
                           options_.target);
  if (c.fd < 0) {
    c.retry_at = now + kTick;  // e.g. no port left: try again shortly
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u32 = index;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
  c.state = Conn::State::connecting;
  c.opened_at = now;
  if (c.server_closed && keep_alive_) ++sink_.at(now).reconnects;
  c.server_closed = false;
}

// Unanswered requests stay in the ring and are written again on the next
// connection: the reconnect is invisible to the workload.
void HttpDriver::close(Conn& c, Micros now, bool by_server) {
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  c.state = Conn::State::closed;
  c.written = 0;
  c.out.clear();
  c.out_at = 0;
  c.in_len = 0;
  c.server_closed = by_server;
  c.retry_at = by_server ? now : now + kTick;
}

void HttpDriver::encode(Conn& c, const PlannedRequest& r) {
  // The codec returns a fresh string: one small allocation per HTTP request.
  std::string query;
  if (r.kind == PlannedRequest::Kind::scrape) {
    std::array<core::InfoHash, PlannedRequest::kMaxScrape> hashes;
    for (unsigned i = 0; i < r.hash_count; ++i) hashes[i] = workload_.hash(r.torrents[i]);
    query = codec::encode_scrape_query(std::span(hashes.data(), r.hash_count));
    c.out.append("GET ").append(path_prefix_).append("/scrape?");
  } else {
    codec::AnnounceQuery q;
    q.info_hash = workload_.hash(workload_.torrent_of(r.peer));
    q.peer_id = workload_.peer_id(r.peer);
    q.port = workload_.port_of(r.peer);
    q.left = r.seeder ? 0 : kLeecherLeft;
    q.left_present = true;
    q.event = r.event;
    if (options_.numwant >= 0) q.numwant = options_.numwant;
    q.key = r.peer;
    query = codec::encode_announce_query(q);
    c.out.append("GET ").append(path_prefix_).append("/announce?");
  }
  c.out.append(query).append(" HTTP/1.1\r\nHost: ").append(options_.target_text);
  c.out.append(keep_alive_ ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
}

// Writes what the ring holds that this connection has not seen, then new
// requests up to the window.
void HttpDriver::fill(Conn& c, Micros now) {
  if (c.state != Conn::State::open) return;
  auto& stats = sink_.at(now);
  // Requests resent after a reconnect are not counted again.
  for (; c.written < c.inflight.size(); ++c.written) encode(c, c.inflight.at(c.written).request);
  PlannedRequest r;
  while (!c.inflight.full() && c.traffic.next(r)) {
    c.inflight.push({r, now});
    encode(c, r);
    ++c.written;
    ++stats.requests;
  }
  if (!write_out(c)) close(c, now, true);
}

bool HttpDriver::write_out(Conn& c) {
  while (c.out_at < c.out.size()) {
    auto n = ::send(c.fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    c.out_at += static_cast<std::size_t>(n);
  }
  c.out.clear();
  c.out_at = 0;
  return true;
}

// Reads until the socket is drained (edge-triggered), then hands every
// complete reply to consume(). End of stream means the server closed.
bool HttpDriver::read_in(Conn& c, Micros now) {
  bool eof = false;
  for (;;) {
    if (c.in_len == c.in.size()) {
      if (c.in.size() >= kMaxReply) {
        ++sink_.at(now).invalid;
        c.inflight.pop();
        close(c, now, false);
        return false;
      }
      c.in.resize(c.in.size() * 2);
    }
    auto n = ::recv(c.fd, c.in.data() + c.in_len, c.in.size() - c.in_len, 0);
    if (n > 0) {
      c.in_len += static_cast<std::size_t>(n);
      continue;
    }
    eof = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    break;
  }
  if (!consume(c, eof, now)) return false;
  if (eof) {
    close(c, now, true);
    return false;
  }
  return true;
}

// Completes as many replies as the buffer holds, oldest request first.
// Returns false when the connection was closed.
bool HttpDriver::consume(Conn& c, bool eof, Micros now) {
  while (c.in_len > 0) {
    std::string_view buffer(c.in.data(), c.in_len);
    codec::HttpReplyHead head;
    auto status = codec::parse_http_reply_head(buffer, head);
    if (status == codec::ReplyHeadStatus::incomplete && !eof) return true;
    std::size_t end = head.has_length ? head.head_size + head.content_length : c.in_len;
    bool framed =
        status == codec::ReplyHeadStatus::complete && end <= c.in_len && (head.has_length || eof);
    if (!framed && status == codec::ReplyHeadStatus::complete && !eof)
      return true;  // body still coming
    if (!framed || c.inflight.size() == 0) {
      // Garbage, a truncated reply, or a reply nobody asked for.
      ++sink_.at(now).invalid;
      if (c.inflight.size() > 0) c.inflight.pop();
      close(c, now, false);
      return false;
    }
    complete(c, head, buffer.substr(head.head_size, end - head.head_size), now);
    std::memmove(c.in.data(), c.in.data() + end, c.in_len - end);
    c.in_len -= end;
    if (head.close) {
      close(c, now, true);
      return false;
    }
  }
  return true;
}

bool HttpDriver::complete(Conn& c, const codec::HttpReplyHead& head, std::string_view body,
                          Micros now) {
  auto& f = c.inflight.front();
  auto& stats = sink_.at(now);
  std::size_t peers = 0;
  bool scrape = f.request.kind == PlannedRequest::Kind::scrape;
  bool valid = head.status == 200 && (scrape ? valid_scrape_body(body, f.request.hash_count)
                                             : valid_announce_body(body, options_.numwant, peers));
  if (valid) {
    ++stats.responses;
    ++(scrape ? stats.scrapes : stats.announces);
    stats.announce_peers += peers;
    stats.latency.record(static_cast<std::uint64_t>(now - f.sent));
  } else {
    ++stats.invalid;
  }
  c.inflight.pop();
  if (c.written > 0) --c.written;
  return valid;
}

void HttpDriver::on_event(Conn& c, std::uint32_t index, std::uint32_t events, Micros now) {
  if (c.state == Conn::State::connecting) {
    int error = 0;
    socklen_t size = sizeof error;
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0 || (events & (EPOLLERR | EPOLLHUP)))
      close(c, now, false);
    else if (events & EPOLLOUT)
      c.state = Conn::State::open;
  }
  if (c.state == Conn::State::open && (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)))
    read_in(c, now);
  if (c.state == Conn::State::open) fill(c, now);
  if (c.state == Conn::State::closed && c.retry_at <= now && !c.done()) open(c, index, now);
}

// A reply later than --timeout-ms times out every request on the
// connection (HTTP cannot skip one); the connection starts over.
void HttpDriver::expire(Micros now) {
  Micros limit = Micros{options_.timeout_ms} * 1000;
  for (auto& c : conns_) {
    if (c.state == Conn::State::connecting && now - c.opened_at >= limit) close(c, now, false);
    if (c.inflight.size() == 0 || now - c.inflight.front().sent < limit) continue;
    auto& stats = sink_.at(now);
    while (c.inflight.size() > 0) {
      ++stats.timeouts;
      if (!c.traffic.retry(c.inflight.front().request)) ++stats.lost;
      c.inflight.pop();
    }
    close(c, now, false);
  }
}

void HttpDriver::revive(Micros now) {
  for (std::uint32_t i = 0; i < conns_.size(); ++i) {
    auto& c = conns_[i];
    if (c.state == Conn::State::closed && c.retry_at <= now && !c.done()) open(c, i, now);
  }
}

bool HttpDriver::all_done() const {
  return std::all_of(conns_.begin(), conns_.end(), [](const Conn& c) { return c.done(); });
}

DriverResult HttpDriver::run() {
  const auto& clock = setup_.clock;
  Micros now = now_us(), last_scan = now;
  revive(now);
  std::array<epoll_event, 256> events;
  while (!clock.over(now) && !all_done()) {
    int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), kTick / 1000);
    now = now_us();
    for (int i = 0; i < n; ++i) {
      auto index = events[i].data.u32;
      if (conns_[index].fd >= 0) on_event(conns_[index], index, events[i].events, now);
    }
    if (now - last_scan >= kTick) {
      last_scan = now;
      expire(now);
      revive(now);
    }
  }
  return {sink_.result(), now};
}

}  // namespace

DriverResult run_http(const DriverSetup& setup) { return HttpDriver(setup).run(); }

}  // namespace cairn::load
