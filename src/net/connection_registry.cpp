#include "net/connection_registry.hpp"

#include <boost/asio/post.hpp>
#include <string>

namespace cairn::net {

frontend::ConnectionId ConnectionRegistry::add(int fd, frontend::ConnectionSink& sink) {
  const auto slot = static_cast<std::uint32_t>(fd);
  if (slot >= slots_.size()) slots_.resize(slot + 1);
  Slot& s = slots_[slot];
  s.sink = &sink;
  if (++s.generation == 0) s.generation = 1;  // 0 names no connection
  ++open_;
  return {worker_, slot, s.generation};
}

void ConnectionRegistry::remove(const frontend::ConnectionId& id) {
  if (id.slot >= slots_.size()) return;
  Slot& s = slots_[id.slot];
  if (s.generation != id.generation || s.sink == nullptr) return;
  s.sink = nullptr;
  --open_;
}

bool ConnectionRegistry::deliver_here(const frontend::ConnectionId& to, std::string_view bytes) {
  const bool live = to.slot < slots_.size() && slots_[to.slot].sink != nullptr &&
                    slots_[to.slot].generation == to.generation;
  if (live && slots_[to.slot].sink->send(bytes)) return true;
  tracker::bump(counters_.connections.deliveries_dropped);
  return false;
}

bool ConnectionRegistry::deliver(const frontend::ConnectionId& to, std::string_view bytes) {
  if (to.worker == worker_) return deliver_here(to, bytes);
  if (to.worker >= peers_.size() || to.generation == 0) {
    tracker::bump(counters_.connections.deliveries_dropped);
    return false;
  }
  ConnectionRegistry* owner = peers_[to.worker];
  // One copy, into the posted handler; the owner's thread queues it (and
  // counts a drop in its own counters, which only it writes).
  boost::asio::post(owner->io_,
                    [owner, to, copy = std::string(bytes)] { owner->deliver_here(to, copy); });
  return true;
}

void ConnectionRegistry::post(const frontend::ConnectionId& to, std::string bytes) {
  boost::asio::post(io_, [this, to, copy = std::move(bytes)] { deliver_here(to, copy); });
}

}  // namespace cairn::net
