#pragma once
// One UDP socket of one worker: waits for readability on the worker's
// io_context, then drains the socket in batches with recvmmsg, answers every
// batch through the DatagramDispatcher (one call for the whole batch), and
// sends all replies of a batch (and the datagrams hole punching sends to
// the other side of an attempt) with one sendmmsg.
#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <vector>

#include "clock/coarse_clock.hpp"
#include "frontend/datagram_dispatcher.hpp"
#include "frontend/worker_state.hpp"
#include "net/listener.hpp"

namespace cairn::net {

class UdpListener final : public Listener {
 public:
  static constexpr std::size_t kBatch = frontend::kMaxBatch;
  static constexpr std::size_t kRecvSize = 2048;     // > codec's max packet: oversize is detected
  static constexpr std::size_t kReplySize = 8192;    // 20 + 18 * 450 peers
  static constexpr std::size_t kForwardSize = 1500;  // hole punching: one datagram for another peer

  UdpListener(boost::asio::ip::udp::socket socket, const frontend::DatagramDispatcher& dispatcher,
              const clock::CoarseClock& clock, frontend::WorkerState& state);
  void start() override;
  void close() override;
  // The socket, for a listener that also sends on it (net/dht_pinger.hpp).
  int native_handle() { return socket_.native_handle(); }
  boost::asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  void wait();
  bool drain_one_batch();  // false when the socket is empty
  // The batch's bytes and latency (tracker/request_counters.hpp).
  void count_batch(std::chrono::steady_clock::time_point read_at, std::size_t datagrams,
                   std::uint64_t bytes_in, std::uint64_t bytes_out);

  boost::asio::ip::udp::socket socket_;
  const frontend::DatagramDispatcher& dispatcher_;
  const clock::CoarseClock& clock_;
  frontend::WorkerState& state_;
  std::vector<std::uint8_t> in_, out_, forward_;
  std::array<mmsghdr, kBatch> in_msgs_{};
  std::array<mmsghdr, 2 * kBatch> out_msgs_{};  // replies, and datagrams for others
  std::array<iovec, kBatch> in_iov_{};
  std::array<iovec, 2 * kBatch> out_iov_{};
  std::array<sockaddr_storage, kBatch> addrs_{}, forward_addrs_{};
  std::array<frontend::Datagram, kBatch> batch_{};
  std::array<std::size_t, kBatch> batch_index_{};  // batch_[i] came in in_msgs_[batch_index_[i]]
};

}  // namespace cairn::net
