#pragma once
// How a worker writes to a connection another protocol took over
// (frontend/connection.hpp), its own or another worker's. Here, beside
// WorkerState, so each request's context can carry its worker's router;
// net/ implements it (net::ConnectionRegistry).
#include <cstdint>
#include <string_view>

namespace cairn::tracker {

// Names one taken-over connection for as long as it lives, and never
// another one: the worker that owns it, its slot there (the socket's file
// descriptor) and the slot's generation, which grows each time the slot is
// reused. A message for a closed connection finds another generation (or
// none) and is dropped.
struct ConnectionId {
  std::uint32_t worker = 0;
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;  // 0: no connection
  friend bool operator==(const ConnectionId&, const ConnectionId&) = default;
};

// Writes to any taken-over connection of the process by its id. Each
// worker has its own; call it only on that worker's thread.
class ConnectionRouter {
 public:
  virtual ~ConnectionRouter() = default;
  // This worker's connection: queued now (ConnectionSink::send). Another
  // worker's: `bytes` are copied and posted to that worker, which queues
  // them there, or drops and counts them if the connection is gone by then
  // or its queue is full. Returns false (and counts a drop) only when it is
  // known here that they cannot be queued.
  virtual bool deliver(const ConnectionId& to, std::string_view bytes) = 0;
  virtual std::uint32_t worker() const = 0;
};

}  // namespace cairn::tracker
