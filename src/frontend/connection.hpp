#pragma once
// The connection model: what a protocol sees of a connection it took over
// from HTTP (an HTTP/1.1 Upgrade), and how it writes to any such
// connection of the process, its own or another's, later.
//
// Pure interfaces, no sockets: net/ implements them (HttpListener for the
// connection, net::ConnectionRegistry for delivery) and a unit test can
// drive a handler with a fake. Everything here is called on the thread of
// the worker that owns the connection; only ConnectionRouter crosses
// workers (it lives in tracker/connection_router.hpp, so that every
// request's context carries its worker's), and it does so by posting to
// the owner, never by touching another worker's connection.
//
// The life of a connection: plain HTTP (request -> response, as always)
// until an HTTP handler answers a request with HttpResult::take_over
// (frontend/http_upgrade.hpp). The listener then writes that reply, calls
// on_open, and from then on gives every byte read to the handler and
// writes what it appends, until one side closes; on_closed comes last.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/time.hpp"
#include "tracker/connection_router.hpp"

namespace cairn::frontend {

using tracker::ConnectionId;
using tracker::ConnectionRouter;

// The bounds the listener enforces for one taken-over connection; the
// handler chooses them (HttpResult::take_over).
struct ConnectionLimits {
  // Input the handler may leave unconsumed (the start of a message it
  // cannot parse yet). More closes the connection (oversized_input).
  std::size_t max_input = 16 * 1024;
  // Bytes waiting for a slow reader beyond which ConnectionSink::send
  // refuses (replies to input and ticks are always queued: input is not
  // read while any are waiting, so they cannot pile up).
  std::size_t max_out = 256 * 1024;
  // A reader whose queue has not emptied for this long is dropped
  // (slow_reader): it holds memory and a connection slot and reads nothing.
  core::Seconds send_timeout = 30;
  // No byte from the client for this long: closed (idle). A protocol with
  // keep-alives (pings) sends them from on_tick before this.
  core::Seconds idle_timeout = 150;
};

enum class CloseReason : std::uint8_t {
  peer_closed,      // the client closed, or the socket failed
  handler_closed,   // on_input or on_tick returned After::close
  idle,             // ConnectionLimits::idle_timeout
  slow_reader,      // ConnectionLimits::send_timeout
  oversized_input,  // more than ConnectionLimits::max_input left unconsumed
  shutdown,         // the server is stopping
};

// What the connection does once the bytes appended to `out` are written.
enum class After : std::uint8_t { keep_open, close };

struct InputResult {
  std::size_t consumed = 0;  // the rest is kept and offered again with more
  After after = After::keep_open;
};

// A taken-over connection as its handler (and the router) may write to it
// later: a server-initiated message. Valid from on_open until on_closed.
class ConnectionSink {
 public:
  virtual ~ConnectionSink() = default;
  virtual ConnectionId id() const = 0;
  // Queues `bytes` (one whole message: never split by a refusal) after
  // everything queued before. False, and nothing queued, when it would
  // take the queue past max_out or the connection is closing. Never closes
  // the connection itself, so it is safe to call while another connection
  // (or this one) is being served.
  virtual bool send(std::string_view bytes) = 0;
};

// The protocol that took a connection over.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // Once, right after the switch; `self` is this connection. `out` is
  // written after the HTTP reply that switched (a greeting, if any).
  virtual void on_open(ConnectionSink& self, core::Seconds now, std::string& out) = 0;
  // Bytes from the client: the unconsumed rest of earlier calls, then what
  // arrived. The handler may modify them in place (a WebSocket unmasks).
  // Replies go to `out`.
  virtual InputResult on_input(std::span<char> bytes, core::Seconds now, core::Millis now_ms,
                               std::string& out) = 0;
  // About once a second: timeouts, keep-alives. Appends to `out`.
  virtual After on_tick(core::Seconds now, std::string& out) = 0;
  // The server is stopping: a last word (a close message), written if the
  // socket takes it within the shutdown grace.
  virtual void on_shutdown(std::string& out) = 0;
  // The connection is gone (`self` no longer valid): the last call.
  virtual void on_closed(CloseReason why) = 0;
};

}  // namespace cairn::frontend
