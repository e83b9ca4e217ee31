#include "net/http_listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <span>
#include <system_error>

#include "net/direct_io.hpp"
#include "net/socket_address.hpp"

namespace cairn::net {

namespace asio = boost::asio;

namespace {

constexpr int kBatch = 64;
constexpr int kAcceptsPerWake = 256;  // so a connect flood cannot starve served connections
// A taken-over connection's kernel send buffer (Linux doubles it). Left to
// autotuning it grows to megabytes, and a reader that stopped reading would
// never fill ConnectionLimits::max_out: the queue that refuses (and counts)
// and the send timeout would see nothing.
constexpr int kTakenOverSendBuffer = 32 * 1024;
// Ciphertext taken per read: one full TLS record with its overhead.
constexpr std::size_t kTlsReadSize = 16 * 1024 + 512;
// Extra turns a TLS connection gets for plaintext already decrypted.
constexpr int kTlsExtraTurns = 16;

int make_epoll() {
  const int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  return fd;
}

void close_socket(int fd) {
  ::shutdown(fd, SHUT_WR);  // a FIN after the last reply, not a reset
  ::close(fd);
}

}  // namespace

HttpListener::HttpListener(asio::ip::tcp::acceptor acceptor, const frontend::HttpRouter& router,
                           const clock::CoarseClock& clock, frontend::WorkerState& state,
                           HttpConnectionLimits limits, ConnectionBudget& budget,
                           ConnectionRegistry& registry, AddressConnections& per_address,
                           const TlsContext* tls)
    : acceptor_(std::move(acceptor)),
      poller_(acceptor_.get_executor(), make_epoll()),
      sweep_timer_(acceptor_.get_executor()),
      router_(router),
      clock_(clock),
      state_(state),
      limits_(limits),
      budget_(budget),
      registry_(registry),
      per_address_(per_address),
      tls_(tls),
      cipher_(tls ? kTlsReadSize : 0, '\0'),
      // The parser errors out before a request (head and body) outgrows
      // this, so one read never needs more: a request, or the end of one and
      // the start of the next.
      in_(limits_.head.max_head + limits_.head.max_body + 1, '\0') {
  acceptor_.non_blocking(true);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = acceptor_.native_handle();
  epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, ev.data.fd, &ev);
}

HttpListener::~HttpListener() {
  // Only if the worker's loop did not run close() to the end. First none
  // may be written to any more, then each handler is told.
  for (auto& c : connections_) {
    if (!c || !c->taken) continue;
    registry_.remove(c->taken->self);
    c->close_after_write = true;
  }
  for (auto& c : connections_) {
    if (!c) continue;
    if (c->taken) c->taken->handler->on_closed(frontend::CloseReason::shutdown);
    ::close(c->fd);
    budget_.give_back();
    per_address_.give_back(c->peer.address);
  }
}

void HttpListener::start() {
  wait();
  sweep();
}

void HttpListener::wait() {
  poller_.async_wait(asio::posix::descriptor_base::wait_read, [this](boost::system::error_code ec) {
    if (ec) return;  // closed
    // A bounded number of batches per wake-up, so the worker's other
    // sockets get their turn under load.
    in_wake_ = true;
    for (int i = 0; i < 8 && drain_one_batch(); ++i) {
    }
    in_wake_ = false;
    flush_gathered();
    if (poller_.is_open()) wait();
  });
}

bool HttpListener::drain_one_batch() {
  std::array<epoll_event, kBatch> events;
  const int n = epoll_wait(poller_.native_handle(), events.data(), kBatch, 0);
  if (n > 0) batch_at_ = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (fd == acceptor_.native_handle()) {
      accept_all();
    } else if (static_cast<std::size_t>(fd) < connections_.size() && connections_[fd]) {
      // Only the connection being served is ever dropped in a batch, so
      // the fds of later events still name the connections they did.
      serve_fd(fd);
    }
  }
  return n == kBatch;
}

void HttpListener::accept_all() {
  for (int i = 0; i < kAcceptsPerWake && !closed_; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = accept4(acceptor_.native_handle(), reinterpret_cast<sockaddr*>(&ss), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors: stop watching the acceptor until the next
      // sweep, or a pending connection would wake us without end.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        epoll_ctl(poller_.native_handle(), EPOLL_CTL_DEL, acceptor_.native_handle(), nullptr);
      return;
    }
    const core::Endpoint peer = to_endpoint(ss);
    if (!budget_.take()) {
      tracker::bump(state_.counters.http.connections_refused);
      ::close(fd);
      continue;
    }
    if (!per_address_.take(peer.address)) {
      budget_.give_back();
      tracker::bump(state_.counters.http.refused_per_address);
      ::close(fd);
      continue;
    }
    std::unique_ptr<TlsSession> tls;
    if (tls_) {
      SSL* ssl = tls_->new_session();
      if (!ssl) {  // OpenSSL out of memory: as if the cap were reached
        per_address_.give_back(peer.address);
        budget_.give_back();
        tracker::bump(state_.counters.http.connections_refused);
        ::close(fd);
        continue;
      }
      tls = std::make_unique<TlsSession>(ssl);
    }
    tracker::bump(state_.counters.http.connections);
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (static_cast<std::size_t>(fd) >= connections_.size()) connections_.resize(fd + 1);
    auto& c = connections_[fd];
    c = std::make_unique<Connection>();
    c->fd = fd;
    c->peer = peer;
    c->tls = std::move(tls);
    c->deadline = clock_.now() + limits_.idle_timeout;
    ++open_;
    watch(*c, false);
  }
}

// Level-triggered: a socket with more to read is reported again by the next
// epoll_wait, so one read per turn keeps connections fair and saves the
// read that would only say "empty".
void HttpListener::serve(Connection& c) {
  if (!c.out.empty()) {  // waiting to write, not reading
    if (!write(c, {})) return drop(c);
    if (c.out.empty() && !c.close_after_write) watch(c, false);
    return finish_if_done(c);
  }
  std::size_t used = c.in.size();
  // Usually nothing is left from the last read: no library call for it.
  if (used > 0) std::memcpy(in_.data(), c.in.data(), used);
  const ssize_t n = receive(c, in_.data() + used, in_.size() - used);
  if (n < 0) return drop(c);  // the client is done, or broke the connection
  if (n == 0) return;
  const core::Seconds now = clock_.now();
  out_.clear();
  if (c.taken) return serve_taken(c, 0, used + static_cast<std::size_t>(n), now);
  if (used == 0) c.deadline = now + limits_.request_timeout;
  used += static_cast<std::size_t>(n);
  const std::size_t consumed = answer_all(std::string_view(in_.data(), used), c, out_);
  count_read(static_cast<std::size_t>(n), out_.size());
  // Switched: what followed the request is the new protocol's.
  if (c.taken) return serve_taken(c, consumed, used, now);
  // Usually the read held whole requests only: nothing to keep, and
  // clear() is a store where assign() of nothing is a library call.
  if (consumed == used)
    c.in.clear();
  else
    c.in.assign(in_.data() + consumed, used - consumed);
  if (consumed > 0)
    c.deadline = now + (c.in.empty() ? limits_.idle_timeout : limits_.request_timeout);
  if (!out_.empty() && !write(c, out_)) return drop(c);
  finish_if_done(c);
}

// The bytes and the latency of one read's requests (tracker/request_counters.hpp):
// from the wake-up that found them ready, so time spent on the batch's
// earlier connections counts too, at one clock reading per batch and one
// per read. A taken-over connection's traffic is its protocol's to count.
void HttpListener::count_read(std::size_t in, std::size_t out) {
  auto& c = state_.counters;
  tracker::add(c.traffic.tcp_in, in);
  tracker::add(c.traffic.tcp_out, out);
  const auto took = std::chrono::steady_clock::now() - batch_at_;
  c.latency.http.observe(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
}

void HttpListener::serve_fd(int fd) {
  serve(*connections_[fd]);
  for (int turn = 0; turn < kTlsExtraTurns; ++turn) {
    const auto& c = connections_[fd];
    if (!c || !c->tls_more || !c->out.empty()) return;
    serve(*c);
  }
}

ssize_t HttpListener::receive(Connection& c, char* at, std::size_t room) {
  if (c.tls) return receive_tls(c, at, room);
  const ssize_t n = direct_recv(c.fd, at, room, 0);
  if (n == 0) return -1;
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
  return n;
}

ssize_t HttpListener::receive_tls(Connection& c, char* at, std::size_t room) {
  if (!c.tls_more) {  // the session holds nothing unread: fill it from the socket
    const ssize_t n = direct_recv(c.fd, cipher_.data(), cipher_.size(), 0);
    if (n == 0) return -1;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    c.tls->feed({cipher_.data(), static_cast<std::size_t>(n)});
  }
  const auto r = c.tls->read({at, room});
  c.tls_more = r.more;
  // Handshake messages, or the alert that says why it failed.
  if (c.tls->has_output() && !write(c, {})) return -1;
  if (r.status == TlsSession::Read::failed) {
    tracker::bump(state_.counters.http.tls_failures);
    return -1;
  }
  if (r.status == TlsSession::Read::closed) return -1;
  return static_cast<ssize_t>(r.got);
}

std::size_t HttpListener::answer_all(std::string_view buffer, Connection& c, std::string& out) {
  std::size_t consumed = 0;
  // An empty rest is incomplete: not parsed (after every read's last request).
  while (!c.close_after_write && consumed < buffer.size()) {
    auto parse = codec::parse_http_request(buffer.substr(consumed), limits_.head);
    if (parse.status == codec::HttpParseStatus::incomplete) break;
    if (parse.status == codec::HttpParseStatus::error) {
      tracker::bump(state_.counters.http.bad_requests);
      router_.write_parse_error(parse, state_, out);
      c.close_after_write = true;
      break;
    }
    const tracker::RequestContext ctx{clock_.now(), clock_.now_ms(), c.peer, state_};
    auto result = router_.handle(parse.request, ctx, out);
    consumed += parse.request.head_size;
    if (result.next == frontend::HttpResult::Next::take_over) {
      take_over(c, std::move(result), out);
      break;
    }
    c.close_after_write = result.next == frontend::HttpResult::Next::close;
  }
  return consumed;
}

bool HttpListener::write(Connection& c, std::string_view data) {
  if (!c.tls) return send_bytes(c, data);
  if (!c.tls->write(data)) return false;
  tls_out_.clear();
  c.tls->take_output(tls_out_);
  return send_bytes(c, tls_out_);
}

bool HttpListener::send_bytes(Connection& c, std::string_view data) {
  const bool queued = !c.out.empty();
  if (queued) {  // in order: after what waits
    c.out.append(data);
    // Already waiting for writability, whose event (serve()) flushes it
    // and watches for input again; a flush is a call with nothing new.
    if (!data.empty()) return true;
    data = c.out;
  }
  const ssize_t n = direct_send(c.fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
  const std::size_t sent = n < 0 ? 0 : static_cast<std::size_t>(n);
  if (queued) {
    c.out.erase(0, sent);
  } else if (sent < data.size()) {
    c.out.assign(data.substr(sent));
    watch(c, true);  // reading waits until the client takes its replies
  }
  if (c.out.empty() && c.out.capacity() > 4096) std::string().swap(c.out);
  if (c.taken) {
    auto& since = c.taken->waiting_since;
    if (c.out.empty())
      since = 0;
    else if (since == 0)
      since = clock_.now();
  }
  return true;
}

void HttpListener::watch(const Connection& c, bool for_writing) {
  epoll_event ev{};
  ev.events = for_writing ? EPOLLOUT : EPOLLIN;
  ev.data.fd = c.fd;
  const bool added = epoll_ctl(poller_.native_handle(), EPOLL_CTL_MOD, c.fd, &ev) == 0;
  if (!added) epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, c.fd, &ev);
}

void HttpListener::finish_if_done(Connection& c) {
  if (c.out.empty() && (c.close_after_write || closed_))
    drop(c, c.taken ? c.taken->closing_for : frontend::CloseReason::peer_closed);
}

void HttpListener::drop(Connection& c, frontend::CloseReason why) {
  const int fd = c.fd;
  if (c.taken) {
    registry_.remove(c.taken->self);  // before the descriptor can be reused
    c.close_after_write = true;       // its sink refuses from now on
    c.taken->handler->on_closed(why);
  }
  close_socket(fd);  // also leaves the epoll set
  per_address_.give_back(c.peer.address);
  connections_[fd].reset();
  --open_;
  budget_.give_back();
  // The last one out after close() lets the io_context run out of work.
  if (closed_ && open_ == 0) {
    sweep_timer_.cancel();
    boost::system::error_code ignored;
    poller_.close(ignored);
  }
}

void HttpListener::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  epoll_ctl(poller_.native_handle(), EPOLL_CTL_DEL, acceptor_.native_handle(), nullptr);
  acceptor_.close(ignored);
  batch_at_ = std::chrono::steady_clock::now();
  // Requests already in the kernel get their answers: one last read each.
  // serve() then drops every connection that owes nothing; the rest keep
  // writing until done or the grace period ends.
  for (auto& c : connections_) {
    if (c && c->taken) {
      shut_down_taken(*c);
      continue;
    }
    if (c) serve(*c);
    if (c) finish_if_done(*c);  // serve() keeps a connection the read found empty
  }
  if (open_ == 0) {
    sweep_timer_.cancel();
    poller_.close(ignored);
    return;
  }
  sweep_timer_.expires_after(shutdown_grace);  // also cancels the sweep
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    for (auto& c : connections_)
      if (c) drop(*c, frontend::CloseReason::shutdown);
  });
}

void HttpListener::sweep() {
  const core::Seconds now = clock_.now();
  for (auto& c : connections_) {
    if (c && c->taken) {
      sweep_taken(*c, now);
    } else if (c && c->deadline <= now) {
      tracker::bump(state_.counters.http.timeouts);
      drop(*c);
    }
  }
  if (!closed_) {  // after running out of descriptors, accept again
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = acceptor_.native_handle();
    epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, ev.data.fd, &ev);  // EEXIST when watched
  }
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !closed_) sweep();
  });
}

// --- Connections taken over by another protocol ---

void HttpListener::take_over(Connection& c, frontend::HttpResult&& result, std::string& out) {
  if (!result.handler) {  // an upgrade handler's mistake: end the connection, not the process
    c.close_after_write = true;
    return;
  }
  setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &kTakenOverSendBuffer, sizeof kTakenOverSendBuffer);
  auto taken = std::make_unique<TakenOver>(*this, c, std::move(result));
  taken->self = registry_.add(c.fd, *taken);
  c.taken = std::move(taken);
  tracker::bump(state_.counters.connections.taken_over);
  c.taken->handler->on_open(*c.taken, clock_.now(), out);
}

void HttpListener::serve_taken(Connection& c, std::size_t from, std::size_t to, core::Seconds now) {
  TakenOver& t = *c.taken;
  // Once per listener and protocol: a read must fit what the handler may
  // keep plus at least one byte.
  if (in_.size() <= t.limits.max_input) in_.resize(t.limits.max_input + 1);
  c.deadline = now + t.limits.idle_timeout;
  if (c.close_after_write) {  // closing: its input is not read
    c.in.clear();
  } else {
    frontend::InputResult r;
    if (to > from)
      r = t.handler->on_input(std::span(in_.data() + from, to - from), now, clock_.now_ms(), out_);
    const std::size_t rest = to - from - std::min(r.consumed, to - from);
    if (r.after == frontend::After::close) {
      c.close_after_write = true;
      t.closing_for = frontend::CloseReason::handler_closed;
    } else if (rest > t.limits.max_input) {
      c.close_after_write = true;
      t.closing_for = frontend::CloseReason::oversized_input;
    }
    c.in.assign(in_.data() + to - rest, c.close_after_write ? 0 : rest);
  }
  if (!out_.empty()) gather(c, out_);
  // Closing: what is gathered, and the close frame last, go now.
  if (c.close_after_write && !flush(c)) return;
  finish_if_done(c);
}

void HttpListener::sweep_taken(Connection& c, core::Seconds now) {
  TakenOver& t = *c.taken;
  if (t.waiting_since != 0 && now - t.waiting_since >= t.limits.send_timeout) {
    tracker::bump(state_.counters.connections.slow_readers);
    return drop(c, frontend::CloseReason::slow_reader);
  }
  // Closing (a send that failed, or a reply still being written).
  if (c.close_after_write) return finish_if_done(c);
  // Input is not read while replies wait, so silence counts only without.
  if (c.out.empty() && c.deadline <= now) {
    tracker::bump(state_.counters.connections.idle_timeouts);
    return drop(c, frontend::CloseReason::idle);
  }
  out_.clear();
  if (t.handler->on_tick(now, out_) == frontend::After::close) {
    c.close_after_write = true;
    t.closing_for = frontend::CloseReason::handler_closed;
  }
  if (!flush(c)) return;  // in order: what was gathered first
  if (!out_.empty() && !write(c, out_)) return drop(c);
  finish_if_done(c);
}

void HttpListener::shut_down_taken(Connection& c) {
  TakenOver& t = *c.taken;
  t.closing_for = frontend::CloseReason::shutdown;
  out_.clear();
  if (!c.close_after_write) t.handler->on_shutdown(out_);
  c.close_after_write = true;
  if (!flush(c)) return;
  if (!out_.empty() && !write(c, out_)) return drop(c, t.closing_for);
  finish_if_done(c);
}

void HttpListener::gather(Connection& c, std::string_view bytes) {
  if (c.gathered.empty()) {
    dirty_.push_back(c.fd);
    if (!in_wake_ && !flush_posted_) {
      flush_posted_ = true;
      asio::post(poller_.get_executor(), [this] { flush_gathered(); });
    }
  }
  c.gathered.append(bytes);
}

void HttpListener::flush_gathered() {
  flush_posted_ = false;
  // flush() gathers nothing and drops only the one it writes.
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    auto& c = connections_[dirty_[i]];
    if (c && !c->gathered.empty() && flush(*c)) finish_if_done(*c);
  }
  dirty_.clear();
}

bool HttpListener::flush(Connection& c) {
  if (c.gathered.empty()) return true;
  const bool written = write(c, c.gathered);
  std::string().swap(c.gathered);  // an idle connection keeps no buffer
  if (written) return true;
  drop(c, c.taken ? c.taken->closing_for : frontend::CloseReason::peer_closed);
  return false;
}

// Only gathers (written at the next flush), so it never drops the
// connection: this may run while another connection (or this one) is being
// served.
bool HttpListener::TakenOver::send(std::string_view bytes) {
  Connection& c = connection;
  if (c.close_after_write || c.out.size() + c.gathered.size() + bytes.size() > limits.max_out)
    return false;
  listener.gather(c, bytes);
  return true;
}

}  // namespace cairn::net
