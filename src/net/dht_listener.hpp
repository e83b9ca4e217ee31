#pragma once
// One DHT socket of one worker (docs/protocols.md, "DHT"): drains the
// socket in batches with recvmmsg, answers every packet inline through the
// shared tracker::dht::Dht and sends the replies of a batch with one
// sendmmsg, as UdpListener does for BEP 15. A source over its rate limit is
// dropped unanswered.
//
// It also sends the node's own traffic: every second, the verification
// pings of the nodes whose delay has passed in this socket's queue (a
// DhtWorker of its own, so a node is pinged over the socket and family it
// queried on).
#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <vector>

#include "clock/coarse_clock.hpp"
#include "net/worker_state.hpp"
#include "tracker/dht/dht.hpp"

namespace cairn::net {

class DhtListener {
 public:
  static constexpr std::size_t kBatch = 64;
  static constexpr std::size_t kRecvSize = 2048;  // > kMaxPacket: oversize is detected
  static constexpr std::size_t kReplySize = codec::krpc::kMaxPacket;
  static constexpr int kMaxPingBatches = 16;  // a tick's pings: 1,024 a second per socket

  // `sockets`: DHT sockets over all workers, which share dht.verify_queue.
  DhtListener(boost::asio::ip::udp::socket socket, tracker::dht::Dht& dht, std::size_t sockets,
              std::uint64_t seed, const clock::CoarseClock& clock, WorkerState& state);
  void start();
  void close();

 private:
  void wait();
  bool drain_one_batch();  // false when the socket is empty
  void schedule_pings();
  void send_due_pings();
  bool send_due_ping_batch();  // false when no more are due
  void send(unsigned count);

  boost::asio::ip::udp::socket socket_;
  boost::asio::steady_timer ping_timer_;
  tracker::dht::Dht& dht_;
  tracker::dht::DhtWorker worker_;
  const clock::CoarseClock& clock_;
  WorkerState& state_;
  std::vector<std::uint8_t> in_, out_;
  std::array<mmsghdr, kBatch> in_msgs_{}, out_msgs_{};
  std::array<iovec, kBatch> in_iov_{}, out_iov_{};
  std::array<sockaddr_storage, kBatch> addrs_{}, ping_addrs_{};
  bool closed_ = false;
};

}  // namespace cairn::net
