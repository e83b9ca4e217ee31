#include "net/dht_pinger.hpp"

#include <cerrno>
#include <chrono>

#include "net/socket_address.hpp"

namespace cairn::net {

namespace {
constexpr std::size_t kPingSize = 128;  // a ping with a 4-byte transaction id: 60 bytes
}

DhtPinger::DhtPinger(UdpListener& socket, const frontend::dht::Dht& dht,
                     frontend::dht::DhtWorker& worker, const clock::CoarseClock& clock,
                     frontend::WorkerState& state)
    : socket_(socket),
      timer_(socket.executor()),
      dht_(dht),
      worker_(worker),
      clock_(clock),
      state_(state),
      out_(kBatch * kPingSize) {
  for (std::size_t i = 0; i < kBatch; ++i) {
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_name = &addrs_[i];
  }
}

void DhtPinger::start() { schedule(); }

void DhtPinger::close() {
  closed_ = true;
  timer_.cancel();
}

void DhtPinger::schedule() {
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || closed_) return;
    // The queue is in due order: what is left waits a tick, so the pings
    // of a flood are spread out.
    for (int i = 0; i < kMaxBatches && send_due_batch(); ++i) {
    }
    schedule();
  });
}

bool DhtPinger::send_due_batch() {
  std::array<tracker::dht::PendingNode, kBatch> due;
  const core::Seconds now = clock_.now();
  const std::size_t n = worker_.queue().take_due(now, due);
  unsigned count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::span<std::uint8_t> ping(out_.data() + count * kPingSize, kPingSize);
    const std::size_t size = dht_.encode_ping(due[i], now, ping);
    if (size == 0) continue;
    iov_[count] = {ping.data(), size};
    msgs_[count].msg_hdr.msg_namelen = to_sockaddr(due[i].endpoint, addrs_[count]);
    ++count;
  }
  // A ping the kernel will not take now is lost: the node is verified when
  // it queries again.
  for (unsigned sent = 0; sent < count;) {
    const int k =
        sendmmsg(socket_.native_handle(), msgs_.data() + sent, count - sent, MSG_DONTWAIT);
    if (k > 0) {
      sent += static_cast<unsigned>(k);
      for (int j = 0; j < k; ++j) tracker::bump(state_.counters.dht.pings_sent);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;  // the send buffer is full: the rest waits for their next query
    } else {
      ++sent;  // this destination refused
    }
  }
  return n == kBatch;
}

}  // namespace cairn::net
