#include "net/http_listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "codec/websocket_frame.hpp"
#include "net/socket_address.hpp"

namespace cairn::net {

namespace asio = boost::asio;

namespace {

constexpr int kBatch = 64;
constexpr int kAcceptsPerWake = 256;  // so a connect flood cannot starve served connections
// A WebSocket's kernel send buffer (Linux doubles it). Left to autotuning it
// grows to megabytes, and a reader that stopped reading would never fill
// ws.max_queue: the queue that drops and counts, and the send timeout,
// would see nothing.
constexpr int kWsSendBuffer = 32 * 1024;
// Ciphertext taken per read: one full TLS record with its overhead.
constexpr std::size_t kTlsReadSize = 16 * 1024 + 512;
// Extra turns a TLS connection gets for plaintext already decrypted.
constexpr int kTlsExtraTurns = 16;

// The WebSocket handshake is taken on the paths clients use: the JS client
// appends nothing to the tracker URL, others use /announce.
bool websocket_path(std::string_view path) { return path == "/" || path == "/announce"; }

// One read must hold a whole request, or a whole WebSocket frame.
std::size_t read_buffer_size(const HttpConnectionLimits& limits, const WsEndpoint& ws) {
  std::size_t size = limits.head.max_head + limits.head.max_body + 1;
  if (ws.shared) size = std::max(size, ws.shared->limits.frame.max_frame + 14 + 1);
  return size;
}

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

HttpListener::HttpListener(asio::ip::tcp::acceptor acceptor, const HttpFrontend& frontend,
                           const clock::CoarseClock& clock, WorkerState& state,
                           HttpConnectionLimits limits, ConnectionBudget& budget,
                           tracker::AddressConnections& per_address, WsEndpoint ws,
                           const TlsContext* tls)
    : acceptor_(std::move(acceptor)),
      poller_(acceptor_.get_executor(), make_epoll()),
      sweep_timer_(acceptor_.get_executor()),
      frontend_(frontend),
      clock_(clock),
      state_(state),
      limits_(limits),
      budget_(budget),
      per_address_(per_address),
      ws_(ws),
      tls_(tls),
      cipher_(tls ? kTlsReadSize : 0, '\0'),
      // The parser errors out before a request (head and body) outgrows
      // this, so one read never needs more: a request, or the end of one and
      // the start of the next (and the same for WebSocket frames).
      in_(read_buffer_size(limits_, ws_), '\0') {
  acceptor_.non_blocking(true);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = acceptor_.native_handle();
  epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, ev.data.fd, &ev);
}

HttpListener::~HttpListener() {
  for (auto& c : connections_) {
    if (!c) continue;
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
    for (int i = 0; i < 8 && drain_one_batch(); ++i) {
    }
    if (poller_.is_open()) wait();
  });
}

bool HttpListener::drain_one_batch() {
  std::array<epoll_event, kBatch> events;
  const int n = epoll_wait(poller_.native_handle(), events.data(), kBatch, 0);
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
      Counters::bump(state_.counters.http_connections_refused);
      ::close(fd);
      continue;
    }
    if (!per_address_.take(peer.address)) {
      budget_.give_back();
      Counters::bump(state_.counters.connections_refused_per_address);
      ::close(fd);
      continue;
    }
    Counters::bump(state_.counters.http_connections);
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (static_cast<std::size_t>(fd) >= connections_.size()) connections_.resize(fd + 1);
    auto& c = connections_[fd];
    c = std::make_unique<Connection>();
    c->fd = fd;
    c->peer = peer;
    if (tls_) {
      SSL* ssl = tls_->new_session();
      if (!ssl) {  // OpenSSL out of memory: as if the cap were reached
        per_address_.give_back(peer.address);
        budget_.give_back();
        Counters::bump(state_.counters.http_connections_refused);
        connections_[fd].reset();
        ::close(fd);
        continue;
      }
      c->tls = std::make_unique<TlsSession>(ssl);
    }
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
    if (c.ws) note_queue(c, clock_.now());
    if (c.out.empty() && !c.close_after_write) watch(c, false);
    return finish_if_done(c);
  }
  std::size_t used = c.in.size();
  std::memcpy(in_.data(), c.in.data(), used);
  const ssize_t n = receive(c, in_.data() + used, in_.size() - used);
  if (n < 0) return drop(c);  // the client is done, or broke the connection
  if (n == 0) return;
  const core::Seconds now = clock_.now();
  used += static_cast<std::size_t>(n);
  out_.clear();
  if (c.ws) return serve_ws(c, used, now);
  if (used == static_cast<std::size_t>(n)) c.deadline = now + limits_.request_timeout;
  const std::size_t consumed = answer_all(std::string_view(in_.data(), used), c, out_);
  if (c.ws && !c.close_after_write) {
    // Upgraded: what followed the handshake are frames.
    std::memmove(in_.data(), in_.data() + consumed, used - consumed);
    c.in.clear();
    return serve_ws(c, used - consumed, now);
  }
  c.in.assign(in_.data() + consumed, used - consumed);
  if (consumed > 0)
    c.deadline = now + (c.in.empty() ? limits_.idle_timeout : limits_.request_timeout);
  if (!out_.empty() && !write(c, out_)) return drop(c);
  finish_if_done(c);
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
  const ssize_t n = ::recv(c.fd, at, room, 0);
  if (n == 0) return -1;
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
  return n;
}

ssize_t HttpListener::receive_tls(Connection& c, char* at, std::size_t room) {
  if (!c.tls_more) {  // the session holds nothing unread: fill it from the socket
    const ssize_t n = ::recv(c.fd, cipher_.data(), cipher_.size(), 0);
    if (n == 0) return -1;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    c.tls->feed({cipher_.data(), static_cast<std::size_t>(n)});
  }
  const auto r = c.tls->read({at, room});
  c.tls_more = r.more;
  // Handshake messages, or the alert that says why it failed.
  if (c.tls->has_output() && !write(c, {})) return -1;
  if (r.status == TlsSession::Read::failed) {
    Counters::bump(state_.counters.tls_failures);
    return -1;
  }
  if (r.status == TlsSession::Read::closed) return -1;
  return static_cast<ssize_t>(r.got);
}

std::size_t HttpListener::answer_all(std::string_view buffer, Connection& c, std::string& out) {
  std::size_t consumed = 0;
  while (!c.close_after_write) {
    auto parse = codec::parse_http_request(buffer.substr(consumed), limits_.head);
    if (parse.status == codec::HttpParseStatus::incomplete) break;
    if (parse.status == codec::HttpParseStatus::error) {
      Counters::bump(state_.counters.http_bad_requests);
      frontend_.write_parse_error(parse, state_, out);
      c.close_after_write = true;
      break;
    }
    if (ws_.shared && codec::ws::wants_upgrade(parse.request) &&
        websocket_path(parse.request.path)) {
      consumed += parse.request.head_size;
      if (!upgrade(parse.request, c, out)) c.close_after_write = true;
      break;
    }
    c.close_after_write =
        !frontend_.handle(parse.request, c.peer, clock_.now(), clock_.now_ms(), state_, out);
    consumed += parse.request.head_size;
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
    data = c.out;
  }
  const ssize_t n = ::send(c.fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
  const std::size_t sent = n < 0 ? 0 : static_cast<std::size_t>(n);
  if (queued) {
    c.out.erase(0, sent);
  } else if (sent < data.size()) {
    c.out.assign(data.substr(sent));
    watch(c, true);  // reading waits until the client takes its replies
  }
  if (c.out.empty() && c.out.capacity() > 4096) std::string().swap(c.out);
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
  if (c.out.empty() && (c.close_after_write || closed_)) drop(c);
}

void HttpListener::drop(Connection& c) {
  const int fd = c.fd;
  close_socket(fd);  // also leaves the epoll set
  per_address_.give_back(c.peer.address);
  connections_[fd].reset();  // a WebSocket's session leaves its swarms
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
  // Requests already in the kernel get their answers: one last read each.
  // serve() then drops every connection that owes nothing; the rest keep
  // writing until done or the grace period ends.
  for (auto& c : connections_) {
    if (c && c->ws) {  // a WebSocket is told the server goes away, then closed
      std::string bye;
      codec::ws::write_close(bye, codec::ws::CloseCode::going_away);
      if (c->out.empty()) write(*c, bye);
      c->close_after_write = true;
      finish_if_done(*c);
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
      if (c) drop(*c);
  });
}

bool HttpListener::upgrade(const codec::HttpRequest& request, Connection& c, std::string& out) {
  auto accept = codec::ws::check_upgrade(request);
  if (!accept) {
    Counters::bump(state_.counters.http_bad_requests);
    codec::ws::write_upgrade_refusal(out, accept.error());
    return false;
  }
  codec::ws::write_upgrade_response(out, *accept);
  setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &kWsSendBuffer, sizeof kWsSendBuffer);
  c.ws = std::make_unique<WsConnection>(*this, c, *ws_.shared, *ws_.worker, clock_.now());
  c.ws->session.attach(*c.ws);
  return true;
}

void HttpListener::serve_ws(Connection& c, std::size_t used, core::Seconds now) {
  auto& session = c.ws->session;
  const std::size_t consumed =
      session.on_bytes(std::span(in_.data(), used), now, clock_.now_ms(), out_);
  c.in.assign(in_.data() + consumed, used - consumed);
  if (session.closing()) c.close_after_write = true;
  if (!out_.empty() && !write(c, out_)) return drop(c);
  note_queue(c, now);
  finish_if_done(c);
}

void HttpListener::note_queue(Connection& c, core::Seconds now) {
  auto& since = c.ws->stuck_since;
  if (c.out.empty())
    since = 0;
  else if (since == 0)
    since = now;
}

bool HttpListener::WsConnection::enqueue(std::string_view frame) {
  Connection& c = connection;
  const std::size_t cap = listener.ws_.shared->limits.max_queue;
  if (c.close_after_write || c.out.size() + frame.size() > cap) return false;
  // Queued after what waits (encrypted on TLS), and sent if the socket
  // takes it. Never dropped from here (this may run while another connection is
  // served): a dead socket is found and dropped by its own next event.
  if (!listener.write(c, frame)) {
    c.close_after_write = true;
    return false;
  }
  listener.note_queue(c, listener.clock_.now());
  return true;
}

void HttpListener::sweep_ws(Connection& c, core::Seconds now) {
  const auto& limits = ws_.shared->limits;
  if (c.ws->stuck_since != 0 && now - c.ws->stuck_since >= limits.send_timeout) {
    Counters::bump(state_.counters.ws_slow_readers);
    return drop(c);
  }
  out_.clear();
  if (!c.ws->session.tick(now, out_)) return drop(c);
  if (out_.empty() || !c.out.empty()) return;  // a ping waits while the reader is behind
  if (!write(c, out_)) return drop(c);
  note_queue(c, now);
}

void HttpListener::sweep() {
  const core::Seconds now = clock_.now();
  for (auto& c : connections_) {
    if (c && c->ws) {
      sweep_ws(*c, now);
    } else if (c && c->deadline <= now) {
      Counters::bump(state_.counters.http_timeouts);
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

}  // namespace cairn::net
