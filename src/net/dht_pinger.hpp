#pragma once
// The DHT node's own traffic on one DHT socket: every second, the
// verification pings of the nodes whose dht.verify_delay has passed in
// that socket's queue (docs/protocols.md, "Which nodes are handed out"),
// sent with sendmmsg on the socket of the UdpListener that receives their
// replies. Both are listeners of the same worker and close together.
#include <sys/socket.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <vector>

#include "clock/coarse_clock.hpp"
#include "frontend/dht/dht.hpp"
#include "frontend/worker_state.hpp"
#include "net/listener.hpp"
#include "net/udp_listener.hpp"

namespace cairn::net {

class DhtPinger final : public Listener {
 public:
  static constexpr std::size_t kBatch = 64;
  static constexpr int kMaxBatches = 16;  // a tick's pings: 1,024 a second per socket

  DhtPinger(UdpListener& socket, const frontend::dht::Dht& dht, frontend::dht::DhtWorker& worker,
            const clock::CoarseClock& clock, frontend::WorkerState& state);
  void start() override;
  void close() override;

 private:
  void schedule();
  bool send_due_batch();  // false when no more are due

  UdpListener& socket_;
  boost::asio::steady_timer timer_;
  const frontend::dht::Dht& dht_;
  frontend::dht::DhtWorker& worker_;
  const clock::CoarseClock& clock_;
  frontend::WorkerState& state_;
  std::vector<std::uint8_t> out_;
  std::array<mmsghdr, kBatch> msgs_{};
  std::array<iovec, kBatch> iov_{};
  std::array<sockaddr_storage, kBatch> addrs_{};
  bool closed_ = false;
};

}  // namespace cairn::net
