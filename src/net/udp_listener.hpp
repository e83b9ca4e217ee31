#pragma once
// One UDP socket of one worker: waits for readability on the worker's
// io_context, then drains the socket in batches with recvmmsg, answers every
// packet inline through the UdpFrontend, and sends all replies of a batch
// (and the datagrams hole punching sends to the other side of an attempt)
// with one sendmmsg.
#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <vector>

#include "clock/coarse_clock.hpp"
#include "net/udp_frontend.hpp"
#include "net/worker_state.hpp"

namespace cairn::net {

class UdpListener {
 public:
  static constexpr std::size_t kBatch = 64;
  static constexpr std::size_t kRecvSize = 2048;   // > codec's max packet: oversize is detected
  static constexpr std::size_t kReplySize = 8192;  // 20 + 18 * 450 peers
  static constexpr std::size_t kExtraSize = 1500;  // hole punching: one datagram for another peer

  UdpListener(boost::asio::ip::udp::socket socket, const UdpFrontend& frontend,
              const clock::CoarseClock& clock, WorkerState& state);
  void start();
  void close();

 private:
  void wait();
  bool drain_one_batch();  // false when the socket is empty

  boost::asio::ip::udp::socket socket_;
  const UdpFrontend& frontend_;
  const clock::CoarseClock& clock_;
  WorkerState& state_;
  std::vector<std::uint8_t> in_, out_, extra_;
  std::array<mmsghdr, kBatch> in_msgs_{};
  std::array<mmsghdr, 2 * kBatch> out_msgs_{};  // replies, and datagrams for others
  std::array<iovec, kBatch> in_iov_{};
  std::array<iovec, 2 * kBatch> out_iov_{};
  std::array<sockaddr_storage, kBatch> addrs_{}, extra_addrs_{};
  int family_;
};

}  // namespace cairn::net
