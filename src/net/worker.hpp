#pragma once
// A worker: one thread running one io_context that owns this worker's UDP
// sockets and TCP acceptors (SO_REUSEPORT: the kernel spreads clients over
// workers) and everything they serve. Shared-nothing: a worker's state is
// touched only by its thread, except counters, which others may read, and
// its connection registry, which others post messages to.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "frontend/worker_state.hpp"
#include "net/connection_registry.hpp"
#include "net/listener.hpp"

namespace cairn::net {

class Worker {
 public:
  // `index`: this worker's place among the process's (ConnectionId::worker).
  Worker(std::uint32_t index, std::uint64_t seed, const tracker::RateLimitConfig& rate_limit,
         const tracker::AccessList& access_list)
      : state_(seed, rate_limit, access_list), registry_(index, io_, state_.counters) {
    state_.connections = &registry_;
  }
  ~Worker() { stop(); }

  boost::asio::io_context& io() { return io_; }
  frontend::WorkerState& state() { return state_; }
  ConnectionRegistry& registry() { return registry_; }
  const frontend::WorkerCounters& counters() const { return state_.counters; }

  // Before start(): the listener then runs on this worker's thread.
  void add(std::unique_ptr<Listener> l) { listeners_.push_back(std::move(l)); }

  void start();
  // Asks the worker's thread to close its listeners: it stops accepting
  // and reading, but answers HTTP requests it has already read (see
  // HttpListener::close). Returns at once.
  void close();
  // close(), then waits for the io_context to run out of work and joins.
  void stop();

 private:
  frontend::WorkerState state_;
  boost::asio::io_context io_{1};
  // Before the listeners, so it outlives the connections registered in it.
  ConnectionRegistry registry_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::thread thread_;
  bool closing_ = false;
};

// Lets every worker's registry reach the others' (cross-worker delivery).
void connect_registries(const std::vector<std::unique_ptr<Worker>>& workers);

}  // namespace cairn::net
