#include "net/http_listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>

#include "net/socket_address.hpp"

namespace cairn::net {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);

HttpListener::HttpListener(tcp::acceptor acceptor, const HttpFrontend& frontend,
                           const core::CoarseClock& clock, WorkerState& state,
                           HttpConnectionLimits limits)
    : acceptor_(std::move(acceptor)),
      sweep_timer_(acceptor_.get_executor()),
      frontend_(frontend),
      clock_(clock),
      state_(state),
      limits_(limits) {}

void HttpListener::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
  sweep();
}

void HttpListener::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  // Cancel, not close: a read that has already completed (its handler
  // queued behind this one) still gets its request answered; the serving
  // loops see closed_ and end after that reply. A connection with request
  // bytes still in the kernel is left to read and answer them; the grace
  // timer below bounds it.
  for (auto& c : connections_)
    if (!c.writing && c.socket.available(ignored) == 0) c.socket.cancel(ignored);
  if (connections_.empty()) {
    sweep_timer_.cancel();
    return;
  }
  sweep_timer_.expires_after(shutdown_grace);  // also cancels the sweep
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    boost::system::error_code ignored;
    for (auto& c : connections_) c.socket.close(ignored);
  });
}

void HttpListener::sweep() {
  auto now = clock_.now();
  for (auto& c : connections_) {
    if (c.deadline <= now && c.socket.is_open()) {
      Counters::bump(state_.counters.http_timeouts);
      boost::system::error_code ignored;
      c.socket.close(ignored);  // its coroutine wakes with an error and ends
    }
  }
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !closed_) sweep();
  });
}

asio::awaitable<void> HttpListener::accept_loop() {
  while (!closed_) {
    auto [ec, socket] = co_await acceptor_.async_accept(no_throw);
    if (ec) {
      if (ec == asio::error::operation_aborted || closed_) co_return;
      continue;  // e.g. EMFILE: keep serving those already connected
    }
    if (connections_.size() >= limits_.max_connections) {
      Counters::bump(state_.counters.http_connections_refused);
      continue;  // the socket closes as it goes out of scope
    }
    Counters::bump(state_.counters.http_connections);
    socket.set_option(tcp::no_delay(true), ec);
    connections_.emplace_front(std::move(socket));
    connections_.front().deadline = clock_.now() + limits_.idle_timeout;
    asio::co_spawn(acceptor_.get_executor(), serve(connections_.begin()), asio::detached);
  }
}

std::size_t HttpListener::answer_all(std::string_view buffer, const core::Endpoint& peer,
                                     std::string& out, bool& close) {
  std::size_t consumed = 0;
  while (!close) {
    auto parse = codec::parse_http_request(buffer.substr(consumed), limits_.head);
    if (parse.status == codec::HttpParseStatus::incomplete) break;
    if (parse.status == codec::HttpParseStatus::error) {
      Counters::bump(state_.counters.http_bad_requests);
      HttpFrontend::write_error(parse.error_status, out);
      close = true;
      break;
    }
    close = !frontend_.handle(parse.request, peer, clock_.now(), clock_.now_ms(), state_, out);
    consumed += parse.request.head_size;
  }
  return consumed;
}

asio::awaitable<void> HttpListener::serve(ConnectionList::iterator connection) {
  auto& socket = connection->socket;
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  core::Endpoint peer;
  if (!ec) {
    sockaddr_storage ss{};
    std::memcpy(&ss, remote.data(), remote.size());
    peer = to_endpoint(ss);
  }
  // The buffer holds at most one request head (plus the start of the next):
  // the parser errors out before a head can outgrow it.
  std::string buffer(limits_.head.max_head + 1, '\0');
  std::size_t used = 0;
  std::string out;
  bool close = !!ec;
  while (!close && !closed_) {
    auto [read_ec, n] = co_await socket.async_read_some(asio::buffer(buffer.data() + used, buffer.size() - used), no_throw);
    if (read_ec) break;
    if (used == 0) connection->deadline = clock_.now() + limits_.request_timeout;
    used += n;
    std::size_t consumed = answer_all(std::string_view(buffer.data(), used), peer, out, close);
    if (consumed > 0) {
      std::memmove(buffer.data(), buffer.data() + consumed, used - consumed);
      used -= consumed;
    }
    if (!out.empty()) {
      connection->writing = true;
      auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(out), no_throw);
      connection->writing = false;
      out.clear();
      if (write_ec) break;
    }
    if (consumed > 0)
      connection->deadline =
          clock_.now() + (used == 0 ? limits_.idle_timeout : limits_.request_timeout);
  }
  if (socket.is_open()) {
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }
  connections_.erase(connection);
  // The last one out after close() lets the io_context run out of work.
  if (closed_ && connections_.empty()) sweep_timer_.cancel();
}

}  // namespace cairn::net
