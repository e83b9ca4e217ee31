#include "net/ws_hub.hpp"

#include <boost/asio/post.hpp>

namespace cairn::net {

tracker::ConnectionRef WsHub::add(WsSink& sink) {
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.sink = &sink;
  ++s.generation;
  ++open_;
  return {worker_, slot, s.generation};
}

void WsHub::remove(const tracker::ConnectionRef& ref) {
  if (ref.slot >= slots_.size() || slots_[ref.slot].generation != ref.generation) return;
  slots_[ref.slot].sink = nullptr;
  free_.push_back(ref.slot);
  --open_;
}

bool WsHub::deliver_here(const tracker::ConnectionRef& to, std::string_view frame) {
  const bool live = to.slot < slots_.size() && slots_[to.slot].sink &&
                    slots_[to.slot].generation == to.generation;
  if (live && slots_[to.slot].sink->enqueue(frame)) return true;
  Counters::bump(counters_.ws_relays_dropped);
  return false;
}

bool WsHub::deliver(const tracker::ConnectionRef& to, std::string_view frame) {
  if (to.worker == worker_) return deliver_here(to, frame);
  if (to.worker >= hubs_.size()) return false;
  WsHub* owner = hubs_[to.worker];
  // The frame is copied once into the handler; the owner's thread queues it.
  boost::asio::post(owner->io_,
                    [owner, to, frame = std::string(frame)] { owner->deliver_here(to, frame); });
  return true;
}

}  // namespace cairn::net
