#pragma once
// What the datagram drivers (BEP 15, DHT) share: draining a lane's socket
// in recvmmsg batches, and the event loop that wakes lanes whose socket is
// readable and scans for timeouts every tick.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "load/run_clock.hpp"

namespace cairn::load {

class DatagramReceiver {
 public:
  static constexpr unsigned kBatch = 32;  // datagrams per recvmmsg

  // `max_bytes`: the largest valid reply; a larger one is reported truncated.
  explicit DatagramReceiver(std::size_t max_bytes) : max_(max_bytes), rx_(kBatch * max_bytes) {}

  // Calls on_packet(bytes) for every datagram waiting on `fd`, or
  // on_truncated() for one larger than max_bytes, until the socket is empty.
  template <typename OnPacket, typename OnTruncated>
  void drain(int fd, OnPacket&& on_packet, OnTruncated&& on_truncated) {
    for (;;) {
      for (unsigned i = 0; i < kBatch; ++i) {
        iovs_[i] = {rx_.data() + i * max_, max_};
        msgs_[i] = {};
        msgs_[i].msg_hdr.msg_iov = &iovs_[i];
        msgs_[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = ::recvmmsg(fd, msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n < 0 && errno == ECONNREFUSED) continue;  // an ICMP error, now consumed
      if (n <= 0) return;
      for (int i = 0; i < n; ++i) {
        if (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC)
          on_truncated();
        else
          on_packet(std::span<const std::uint8_t>{rx_.data() + i * max_, msgs_[i].msg_len});
      }
      if (n < static_cast<int>(kBatch)) return;
    }
  }

 private:
  std::size_t max_;
  std::vector<std::uint8_t> rx_;
  std::array<mmsghdr, kBatch> msgs_{};
  std::array<iovec, kBatch> iovs_{};
};

// Runs until the clock is over or done(): tick(now) first and then every
// `tick_every` (timeouts, then topping every lane up), and ready(lane, now)
// for each lane whose socket became readable (its epoll data is its index).
// Returns the last reading of the clock.
template <typename Ready, typename Tick, typename Done>
Micros run_datagram_loop(int epoll, const RunClock& clock, Micros tick_every, Ready&& ready,
                         Tick&& tick, Done&& done) {
  Micros now = now_us(), last_tick = now;
  tick(now);
  std::array<epoll_event, 64> events;
  while (!clock.over(now) && !done()) {
    const int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(tick_every / 1000));
    now = now_us();
    for (int i = 0; i < n; ++i) ready(events[i].data.u32, now);
    if (now - last_tick >= tick_every) {
      last_tick = now;
      tick(now);
    }
  }
  return now;
}

}  // namespace cairn::load
