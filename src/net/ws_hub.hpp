#pragma once
// Delivery of relayed WebTorrent messages (offers, answers) to WebSocket
// connections, wherever they live. Each worker has one hub: the table of its
// WebSocket connections, indexed by slot, each with a generation so a
// message for a connection that closed (its slot since reused) is dropped.
// The signaling swarms name a receiver by tracker::ConnectionRef; a frame
// for another worker's connection is posted to that worker's io_context
// and queued there by its own thread, so a connection is only ever touched
// by the thread that owns it.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/worker_state.hpp"
#include "tracker/signaling.hpp"

namespace cairn::net {

// A WebSocket connection as the hub sees it: something that queues a whole
// frame for writing, or refuses it when its outbound queue is full (the
// reader is slow) and counts nothing itself.
class WsSink {
 public:
  virtual ~WsSink() = default;
  virtual bool enqueue(std::string_view frame) = 0;
};

class WsHub {
 public:
  WsHub(std::uint32_t worker, boost::asio::io_context& io, Counters& counters)
      : worker_(worker), io_(io), counters_(counters) {}
  WsHub(const WsHub&) = delete;
  WsHub& operator=(const WsHub&) = delete;

  // Every worker's hub, indexed by worker, set once before serving.
  void set_peers(std::vector<WsHub*> hubs) { hubs_ = std::move(hubs); }

  tracker::ConnectionRef add(WsSink& sink);
  void remove(const tracker::ConnectionRef& ref);

  // Queues `frame` on the connection `to` names, here or on its worker.
  // Returns false (and counts a dropped relay) when it is known at once
  // that it cannot be queued.
  bool deliver(const tracker::ConnectionRef& to, std::string_view frame);
  std::uint32_t worker() const { return worker_; }
  std::size_t connections() const { return open_; }

 private:
  bool deliver_here(const tracker::ConnectionRef& to, std::string_view frame);

  struct Slot {
    WsSink* sink = nullptr;
    std::uint32_t generation = 0;
  };
  std::uint32_t worker_;
  boost::asio::io_context& io_;
  Counters& counters_;
  std::vector<WsHub*> hubs_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t open_ = 0;
};

}  // namespace cairn::net
