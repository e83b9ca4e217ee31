#pragma once
// A worker: one thread running one io_context that owns this worker's UDP
// sockets and TCP acceptors (SO_REUSEPORT: the kernel spreads clients over
// workers) and everything they serve. Shared-nothing: a worker's state is
// touched only by its thread, except counters, which others may read.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "net/http_listener.hpp"
#include "net/udp_listener.hpp"
#include "net/worker_state.hpp"
#include "net/ws_hub.hpp"
#include "net/ws_session.hpp"

namespace cairn::net {

class Worker {
 public:
  Worker(std::uint32_t index, std::uint64_t seed, const tracker::RateLimitConfig& rate_limit,
         const tracker::AccessList& access_list)
      : state_(seed, rate_limit, access_list),
        hub_(index, io_, state_.counters),
        ws_(state_, hub_) {}
  ~Worker() { stop(); }

  boost::asio::io_context& io() { return io_; }
  WorkerState& state() { return state_; }
  WsHub& hub() { return hub_; }
  WsWorker& ws() { return ws_; }
  const Counters& counters() const { return state_.counters; }

  void add(std::unique_ptr<UdpListener> l) { udp_.push_back(std::move(l)); }
  void add(std::unique_ptr<HttpListener> l) { http_.push_back(std::move(l)); }

  void start();
  // Asks the worker's thread to close its listeners: it stops accepting
  // and reading, but answers HTTP requests it has already read (see
  // HttpListener::close). Returns at once.
  void close();
  // close(), then waits for the io_context to run out of work and joins.
  void stop();

 private:
  WorkerState state_;
  boost::asio::io_context io_{1};
  // Before the listeners, so it outlives the connections registered in it.
  WsHub hub_;
  WsWorker ws_;
  std::vector<std::unique_ptr<UdpListener>> udp_;
  std::vector<std::unique_ptr<HttpListener>> http_;
  std::thread thread_;
  bool closing_ = false;
};

}  // namespace cairn::net
