#pragma once
// One TCP acceptor of one worker and the HTTP/1.x connections it accepts,
// each served by a coroutine on the worker's io_context: read, parse every
// complete (pipelined) request in the buffer, answer them in one write,
// repeat. A per-listener sweep closes connections past their deadline, so
// idle and slow (slowloris) clients are freed without a timer per read.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <list>

#include "codec/http_request.hpp"
#include "core/clock.hpp"
#include "net/http_frontend.hpp"
#include "net/worker_state.hpp"

namespace cairn::net {

struct HttpConnectionLimits {
  codec::HttpLimits head;
  core::Seconds idle_timeout = 30;     // between requests on a keep-alive connection
  core::Seconds request_timeout = 10;  // from a request's first byte to its reply sent
  std::size_t max_connections = 10000;  // for this listener
};

class HttpListener {
 public:
  HttpListener(boost::asio::ip::tcp::acceptor acceptor, const HttpFrontend& frontend,
               const core::CoarseClock& clock, WorkerState& state, HttpConnectionLimits limits);
  // At shutdown, requests already read get their replies for at most this
  // long; then every connection is closed.
  static constexpr auto shutdown_grace = std::chrono::seconds(2);

  void start();
  // Stops accepting and ends every connection: idle ones at once, ones
  // with a request read or a reply being written once that reply is sent
  // (or shutdown_grace has passed).
  void close();

 private:
  struct Connection {
    explicit Connection(boost::asio::ip::tcp::socket s) : socket(std::move(s)) {}
    boost::asio::ip::tcp::socket socket;
    core::Seconds deadline = 0;
    bool writing = false;  // a reply is on its way; close() lets it finish
  };
  using ConnectionList = std::list<Connection>;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(ConnectionList::iterator connection);
  // Parses and answers every complete request at the start of `buffer`;
  // returns bytes consumed, and sets `close` when the connection must end.
  std::size_t answer_all(std::string_view buffer, const core::Endpoint& peer, std::string& out,
                         bool& close);
  void sweep();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer sweep_timer_;
  const HttpFrontend& frontend_;
  const core::CoarseClock& clock_;
  WorkerState& state_;
  HttpConnectionLimits limits_;
  ConnectionList connections_;
  bool closed_ = false;
};

}  // namespace cairn::net
