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
//
// A request answered with HttpResult::take_over hands its connection to
// another protocol (frontend/connection.hpp): the listener writes the
// reply, registers the connection with the worker's ConnectionRegistry so
// it can be written to later, and from then on feeds the handler what it
// reads, writes what it answers, ticks it at each sweep and enforces its
// ConnectionLimits. It still counts against the connection budget. Plain
// HTTP connections pay one pointer and one branch for this.
//
// What a taken-over connection is sent (its own replies, and messages other
// connections send it through the registry) is gathered, not written at
// once: each connection's bytes of one wake-up (up to 8 batches) go out in
// one write when the wake-up ends, or, when they come from outside one (a
// timer, another worker's post), in a flush posted to the worker's loop.
// Relayed signaling is many small messages to the same few connections (the
// answers to one peer's offers arrive together): one send() for them all,
// where a send() and its loopback delivery cost more than the message.
//
// With a TlsContext the listener serves https (and wss): each connection
// gets a TlsSession over memory buffers, so the same loop reads ciphertext,
// hands the plaintext to HTTP (or to the protocol that took over) and
// encrypts what goes back. Every connection, plain or TLS, also counts
// against its address's share (AddressConnections), so one address holding
// slow connections cannot fill the budget and lock everyone else out.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "clock/coarse_clock.hpp"
#include "codec/http_request.hpp"
#include "frontend/connection.hpp"
#include "frontend/http_router.hpp"
#include "frontend/worker_state.hpp"
#include "net/address_connections.hpp"
#include "net/connection_budget.hpp"
#include "net/connection_registry.hpp"
#include "net/listener.hpp"
#include "net/tls_context.hpp"
#include "net/tls_session.hpp"

namespace cairn::net {

struct HttpConnectionLimits {
  codec::HttpLimits head;
  core::Seconds idle_timeout = 30;                  // between requests on a keep-alive connection
  core::Seconds request_timeout = 10;               // from a request's first byte to its reply sent
  std::size_t max_connections = 10000;              // for the whole process: see ConnectionBudget
  std::uint32_t max_connections_per_address = 128;  // see AddressConnections
};

class HttpListener final : public Listener {
 public:
  HttpListener(boost::asio::ip::tcp::acceptor acceptor, const frontend::HttpRouter& router,
               const clock::CoarseClock& clock, frontend::WorkerState& state,
               HttpConnectionLimits limits, ConnectionBudget& budget, ConnectionRegistry& registry,
               AddressConnections& per_address, const TlsContext* tls = nullptr);
  ~HttpListener() override;
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // At shutdown, replies already owed are written for at most this long;
  // then every connection is closed.
  static constexpr auto shutdown_grace = std::chrono::seconds(2);

  void start() override;
  // Stops accepting and ends every connection: requests already received
  // (read, or waiting in the kernel) are answered first; a connection whose
  // reply cannot be written at once gets up to shutdown_grace to take it.
  void close() override;

 private:
  struct Connection;
  // A connection another protocol took over: its handler, and the sink
  // through which the handler (and others, through the registry) write to
  // it later.
  struct TakenOver final : frontend::ConnectionSink {
    TakenOver(HttpListener& l, Connection& c, frontend::HttpResult&& r)
        : listener(l), connection(c), handler(std::move(r.handler)), limits(r.limits) {}
    frontend::ConnectionId id() const override { return self; }
    bool send(std::string_view bytes) override;
    HttpListener& listener;
    Connection& connection;
    std::unique_ptr<frontend::ConnectionHandler> handler;
    frontend::ConnectionLimits limits;
    frontend::ConnectionId self;
    core::Seconds waiting_since = 0;  // since when `out` has waited for the reader; 0: empty
    frontend::CloseReason closing_for = frontend::CloseReason::peer_closed;  // once closing
  };
  struct Connection {
    int fd = -1;
    core::Endpoint peer;
    core::Seconds deadline = 0;  // HTTP's; a taken-over connection's idle deadline
    std::string in;              // the start of a request (or message) not yet complete
    std::string out;             // replies the socket did not take yet
    bool close_after_write = false;
    std::unique_ptr<TakenOver> taken;  // null while it speaks HTTP
    std::unique_ptr<TlsSession> tls;   // on an https listener
    bool tls_more = false;             // the session holds more plaintext than the last read took
    std::string gathered;              // taken over: to be written at the next flush (`dirty_`)
  };

  void wait();
  bool drain_one_batch();  // false when fewer than a full batch was ready
  void accept_all();
  void serve(Connection& c);
  void count_read(std::size_t in, std::size_t out);
  // serve() once, then again while TLS holds plaintext the read had no room
  // for (no socket event would come for it).
  void serve_fd(int fd);
  // One read into `at`: plaintext bytes, 0 when none yet (would block, or
  // the TLS handshake or a record is incomplete), -1 when the connection is
  // closed or broken.
  ssize_t receive(Connection& c, char* at, std::size_t room);
  ssize_t receive_tls(Connection& c, char* at, std::size_t room);
  // Parses and answers every complete request at the start of `buffer`,
  // appending replies to `out`; returns the bytes consumed.
  std::size_t answer_all(std::string_view buffer, Connection& c, std::string& out);
  // Writes `data` (encrypted on TLS), keeping what the socket did not take;
  // behind a queue that waits for writability it only joins the queue, and
  // `data` empty flushes the queue. False on error.
  bool write(Connection& c, std::string_view data);
  // The same for bytes as they go on the wire.
  bool send_bytes(Connection& c, std::string_view data);
  void watch(const Connection& c, bool for_writing);
  void finish_if_done(Connection& c);
  void drop(Connection& c, frontend::CloseReason why = frontend::CloseReason::peer_closed);
  void sweep();

  // A taken-over connection's part.
  void take_over(Connection& c, frontend::HttpResult&& result, std::string& out);
  // Feeds the handler in_[from, to): its input after a read.
  void serve_taken(Connection& c, std::size_t from, std::size_t to, core::Seconds now);
  void sweep_taken(Connection& c, core::Seconds now);
  // Adds to what `c` is sent at the next flush.
  void gather(Connection& c, std::string_view bytes);
  // Writes what was gathered for every connection.
  void flush_gathered();
  // Writes what was gathered for `c` (before bytes that must follow it: a
  // close frame). False: the write failed and `c` was dropped.
  bool flush(Connection& c);
  // close(): the handler's last word, then closed once written.
  void shut_down_taken(Connection& c);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::posix::stream_descriptor poller_;  // the listener's epoll set
  boost::asio::steady_timer sweep_timer_;
  const frontend::HttpRouter& router_;
  const clock::CoarseClock& clock_;
  frontend::WorkerState& state_;
  HttpConnectionLimits limits_;
  ConnectionBudget& budget_;         // every listener's; open_ counts this one's
  ConnectionRegistry& registry_;     // the worker's: taken-over connections by id
  AddressConnections& per_address_;  // every listener's
  const TlsContext* tls_;            // null: plain HTTP
  std::string cipher_;               // TLS: one read of ciphertext
  std::string tls_out_;              // TLS: what one write encrypts to
  // Indexed by file descriptor: small, dense integers, so no hashing.
  std::vector<std::unique_ptr<Connection>> connections_;
  std::size_t open_ = 0;
  std::string in_;   // one read: a leftover request (or message) start plus what arrived
  std::string out_;  // the replies to one read
  // When the current batch of ready sockets was found (request latency).
  std::chrono::steady_clock::time_point batch_at_;
  bool closed_ = false;
  std::vector<int> dirty_;  // connections with bytes gathered, by descriptor
  bool in_wake_ = false;    // serving a wake-up, which flushes when it ends
  bool flush_posted_ = false;
};

}  // namespace cairn::net
