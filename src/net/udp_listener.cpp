#include "net/udp_listener.hpp"

#include <cerrno>

#include "net/socket_address.hpp"

namespace cairn::net {

UdpListener::UdpListener(boost::asio::ip::udp::socket socket,
                         const frontend::DatagramDispatcher& dispatcher,
                         const clock::CoarseClock& clock, frontend::WorkerState& state)
    : socket_(std::move(socket)),
      dispatcher_(dispatcher),
      clock_(clock),
      state_(state),
      in_(kBatch * kRecvSize),
      out_(kBatch * kReplySize),
      forward_(kBatch * kForwardSize) {
  socket_.non_blocking(true);
  for (std::size_t i = 0; i < kBatch; ++i) {
    in_iov_[i] = {in_.data() + i * kRecvSize, kRecvSize};
    in_msgs_[i].msg_hdr.msg_iov = &in_iov_[i];
    in_msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  for (std::size_t i = 0; i < out_msgs_.size(); ++i) {
    out_msgs_[i].msg_hdr.msg_iov = &out_iov_[i];
    out_msgs_[i].msg_hdr.msg_iovlen = 1;
  }
}

void UdpListener::start() { wait(); }

void UdpListener::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void UdpListener::wait() {
  socket_.async_wait(boost::asio::socket_base::wait_read, [this](boost::system::error_code ec) {
    if (ec) return;  // closed
    // A bounded number of batches per wake-up keeps this socket from
    // starving the worker's HTTP connections under a flood.
    for (int i = 0; i < 8 && drain_one_batch(); ++i) {
    }
    wait();
  });
}

bool UdpListener::drain_one_batch() {
  int fd = socket_.native_handle();
  for (std::size_t i = 0; i < kBatch; ++i) {
    in_msgs_[i].msg_hdr.msg_name = &addrs_[i];
    in_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    in_msgs_[i].msg_hdr.msg_flags = 0;
  }
  int received = recvmmsg(fd, in_msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (received <= 0) return false;
  const auto read_at = std::chrono::steady_clock::now();

  std::size_t size = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(received); ++i) {
    const auto& msg = in_msgs_[i];
    bytes_in += msg.msg_len;
    if (msg.msg_hdr.msg_flags & MSG_TRUNC) continue;  // oversize: never answered
    // Field by field: a whole new Datagram zeroed its 112 bytes first.
    // forward_to is read only when forward is set.
    frontend::Datagram& d = batch_[size];
    d.in = std::span<const std::uint8_t>(in_.data() + i * kRecvSize, msg.msg_len);
    d.from = to_endpoint(addrs_[i]);
    d.out = std::span<std::uint8_t>(out_.data() + i * kReplySize, kReplySize);
    d.reply = 0;
    d.forward_out = std::span<std::uint8_t>(forward_.data() + i * kForwardSize, kForwardSize);
    d.forward = 0;
    batch_index_[size++] = i;
  }
  const tracker::RequestContext ctx{clock_.now(), clock_.now_ms(), {}, state_, clock_.precise_ms()};
  dispatcher_.dispatch(std::span(batch_.data(), size), ctx);
  unsigned replies = 0;
  for (std::size_t b = 0; b < size; ++b) {
    const auto& d = batch_[b];
    const std::size_t i = batch_index_[b];
    if (d.reply > 0) {
      out_iov_[replies] = {d.out.data(), d.reply};
      bytes_out += d.reply;
      out_msgs_[replies].msg_hdr.msg_name = &addrs_[i];
      out_msgs_[replies].msg_hdr.msg_namelen = in_msgs_[i].msg_hdr.msg_namelen;
      ++replies;
    }
    if (d.forward > 0) {
      out_iov_[replies] = {d.forward_out.data(), d.forward};
      bytes_out += d.forward;
      out_msgs_[replies].msg_hdr.msg_name = &forward_addrs_[i];
      out_msgs_[replies].msg_hdr.msg_namelen = to_sockaddr(d.forward_to, forward_addrs_[i]);
      ++replies;
    }
  }
  for (unsigned sent = 0; sent < replies;) {
    int n = sendmmsg(fd, out_msgs_.data() + sent, replies - sent, MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<unsigned>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // A full send buffer drops the rest of the batch: UDP clients retry.
      for (; sent < replies; ++sent) tracker::bump(state_.counters.udp.send_dropped);
    } else {
      tracker::bump(state_.counters.udp.send_dropped);  // this destination refused
      ++sent;
    }
  }
  count_batch(read_at, static_cast<std::size_t>(received), bytes_in, bytes_out);
  return static_cast<std::size_t>(received) == kBatch;
}

// Two clock readings per batch of up to 64: the metrics cost no more.
void UdpListener::count_batch(std::chrono::steady_clock::time_point read_at, std::size_t datagrams,
                              std::uint64_t bytes_in, std::uint64_t bytes_out) {
  auto& c = state_.counters;
  tracker::add(c.traffic.udp_in, bytes_in);
  tracker::add(c.traffic.udp_out, bytes_out);
  const auto took = std::chrono::steady_clock::now() - read_at;
  c.latency.udp.observe(static_cast<std::uint64_t>(
                            std::chrono::duration_cast<std::chrono::microseconds>(took).count()),
                        datagrams);
}

}  // namespace cairn::net
