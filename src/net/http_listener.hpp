#pragma once
// One TCP acceptor of one worker and the HTTP/1.x connections it accepts.
//
// Connections are served in batches, as UdpListener serves datagrams: the
// listener keeps its own epoll set of the acceptor and every connection, and
// the worker's io_context wakes it once when any of them is ready. It then
// takes up to 64 ready sockets with one epoll_wait and serves each: one read
// into the listener's scratch buffer, every complete (pipelined) request
// parsed and answered, one write of all the replies. Only what is left over
// (the start of a request, the unsent end of a reply) is copied into the
// connection, so an idle connection costs a few dozen bytes, not a buffer.
//
// Deadlines: a sweep once a second closes connections idle past
// idle_timeout, or whose request has not been answered request_timeout
// after its first byte (slowloris), without a timer per connection.
// A client that does not read its replies is not read from either: its
// connection waits for writability until its deadline.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "clock/coarse_clock.hpp"
#include "codec/http_request.hpp"
#include "net/connection_budget.hpp"
#include "net/http_frontend.hpp"
#include "net/tls_context.hpp"
#include "net/tls_session.hpp"
#include "net/worker_state.hpp"
#include "net/ws_session.hpp"
#include "tracker/address_connections.hpp"

namespace cairn::net {

struct HttpConnectionLimits {
  codec::HttpLimits head;
  core::Seconds idle_timeout = 30;                  // between requests on a keep-alive connection
  core::Seconds request_timeout = 10;               // from a request's first byte to its reply sent
  std::size_t max_connections = 10000;              // for the whole process: see ConnectionBudget
  std::uint32_t max_connections_per_address = 128;  // see tracker::AddressConnections
};

// What a listener needs to serve the WebSocket tracker (absent: it
// answers upgrades as plain requests).
struct WsEndpoint {
  const WsShared* shared = nullptr;
  WsWorker* worker = nullptr;
};

class HttpListener {
 public:
  HttpListener(boost::asio::ip::tcp::acceptor acceptor, const HttpFrontend& frontend,
               const clock::CoarseClock& clock, WorkerState& state, HttpConnectionLimits limits,
               ConnectionBudget& budget, tracker::AddressConnections& per_address,
               WsEndpoint ws = {}, const TlsContext* tls = nullptr);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // At shutdown, replies already owed are written for at most this long;
  // then every connection is closed.
  static constexpr auto shutdown_grace = std::chrono::seconds(2);

  void start();
  // Stops accepting and ends every connection: requests already received
  // (read, or waiting in the kernel) are answered first; a connection whose
  // reply cannot be written at once gets up to shutdown_grace to take it.
  void close();

 private:
  struct Connection;
  // A connection upgraded to a WebSocket (RFC 6455): its session, and the
  // sink through which frames relayed by other connections reach it.
  struct WsConnection final : WsSink {
    WsConnection(HttpListener& l, Connection& c, const WsShared& shared, WsWorker& worker,
                 core::Seconds now)
        : listener(l), connection(c), session(shared, worker, c.peer.address, now) {}
    bool enqueue(std::string_view frame) override;
    HttpListener& listener;
    Connection& connection;
    WsSession session;
    core::Seconds stuck_since = 0;  // since when its queue has waited for the reader; 0: not
  };
  struct Connection {
    int fd = -1;
    core::Endpoint peer;
    core::Seconds deadline = 0;
    std::string in;   // the start of a request (or frame) not yet complete
    std::string out;  // replies the socket did not take yet
    bool close_after_write = false;
    std::unique_ptr<WsConnection> ws;  // once upgraded
    std::unique_ptr<TlsSession> tls;   // on an https listener
    bool tls_more = false;             // the session holds more plaintext than the last read took
  };

  void wait();
  bool drain_one_batch();  // false when fewer than a full batch was ready
  void accept_all();
  void serve(Connection& c);
  // serve() once, then again while TLS holds plaintext the read had no room
  // for (no socket event would come for it).
  void serve_fd(int fd);
  // One read into `at`: plaintext bytes, 0 when none yet (would block, or
  // the TLS handshake or a record is incomplete), -1 when the connection is
  // closed or broken.
  ssize_t receive(Connection& c, char* at, std::size_t room);
  ssize_t receive_tls(Connection& c, char* at, std::size_t room);
  // A WebSocket connection's turn: frames in, answers out.
  void serve_ws(Connection& c, std::size_t used, core::Seconds now);
  // Answers a handshake; true when the connection became a WebSocket.
  bool upgrade(const codec::HttpRequest& request, Connection& c, std::string& out);
  void sweep_ws(Connection& c, core::Seconds now);
  // After a write to a WebSocket connection: when its queue began to wait.
  void note_queue(Connection& c, core::Seconds now);
  // Parses and answers every complete request at the start of `buffer`,
  // appending replies to `out`; returns the bytes consumed.
  std::size_t answer_all(std::string_view buffer, Connection& c, std::string& out);
  // Writes `data` (encrypted on TLS) after whatever waits in the
  // connection's queue, keeping what the socket did not take; false on error.
  bool write(Connection& c, std::string_view data);
  // The same for bytes as they go on the wire.
  bool send_bytes(Connection& c, std::string_view data);
  void watch(const Connection& c, bool for_writing);
  void finish_if_done(Connection& c);
  void drop(Connection& c);
  void sweep();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::posix::stream_descriptor poller_;  // the listener's epoll set
  boost::asio::steady_timer sweep_timer_;
  const HttpFrontend& frontend_;
  const clock::CoarseClock& clock_;
  WorkerState& state_;
  HttpConnectionLimits limits_;
  ConnectionBudget& budget_;  // every listener's; open_ counts this one's
  tracker::AddressConnections& per_address_;
  WsEndpoint ws_;
  const TlsContext* tls_;
  std::string cipher_;   // TLS: one read of ciphertext
  std::string tls_out_;  // TLS: what one write encrypts to
  // Indexed by file descriptor: small, dense integers, so no hashing.
  std::vector<std::unique_ptr<Connection>> connections_;
  std::size_t open_ = 0;
  std::string in_;   // one read: a leftover request start plus what arrived
  std::string out_;  // the replies to one read
  bool closed_ = false;
};

}  // namespace cairn::net
