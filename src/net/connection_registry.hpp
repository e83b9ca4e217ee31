#pragma once
// One worker's taken-over connections, by id, and delivery to them from
// anywhere in the process (frontend::ConnectionRouter). A worker has one
// registry for all its listeners: its slot is the connection's file
// descriptor (unique in the process while open, so no free list), and each
// slot counts generations, so an id outlives neither its connection nor a
// later one on the same descriptor.
//
// A message for another worker's connection is copied into a handler
// posted to that worker's io_context; its thread looks the id up and
// queues the bytes, or drops and counts them (deliveries_dropped) if the
// connection has closed meanwhile. So a connection is only ever touched by
// the thread that owns it, and no lock is taken.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/connection.hpp"
#include "frontend/worker_state.hpp"

namespace cairn::net {

class ConnectionRegistry final : public frontend::ConnectionRouter {
 public:
  ConnectionRegistry(std::uint32_t worker, boost::asio::io_context& io,
                     frontend::WorkerCounters& counters)
      : worker_(worker), io_(io), counters_(counters) {}
  ConnectionRegistry(const ConnectionRegistry&) = delete;
  ConnectionRegistry& operator=(const ConnectionRegistry&) = delete;

  // Every worker's registry, indexed by worker; set once before serving.
  void set_peers(std::vector<ConnectionRegistry*> peers) { peers_ = std::move(peers); }

  // A connection on `fd` was taken over: its id from now on.
  frontend::ConnectionId add(int fd, frontend::ConnectionSink& sink);
  // Before its descriptor is closed (another connection may get it).
  void remove(const frontend::ConnectionId& id);

  bool deliver(const frontend::ConnectionId& to, std::string_view bytes) override;
  // From any thread (one that is no worker's: the WebSocket relay's
  // subscriber): posted to this worker, whose thread queues the bytes or
  // drops and counts them.
  void post(const frontend::ConnectionId& to, std::string bytes);
  std::uint32_t worker() const override { return worker_; }
  std::size_t size() const { return open_; }

 private:
  // On the owner's thread: queue, or count the drop.
  bool deliver_here(const frontend::ConnectionId& to, std::string_view bytes);

  struct Slot {
    frontend::ConnectionSink* sink = nullptr;
    std::uint32_t generation = 0;
  };
  std::uint32_t worker_;
  boost::asio::io_context& io_;
  frontend::WorkerCounters& counters_;
  std::vector<ConnectionRegistry*> peers_;
  std::vector<Slot> slots_;  // by file descriptor
  std::size_t open_ = 0;
};

}  // namespace cairn::net
