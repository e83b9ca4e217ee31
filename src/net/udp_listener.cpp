#include "net/udp_listener.hpp"

#include <cerrno>

#include "net/socket_address.hpp"

namespace cairn::net {

UdpListener::UdpListener(boost::asio::ip::udp::socket socket, const UdpFrontend& frontend,
                         const clock::CoarseClock& clock, WorkerState& state)
    : socket_(std::move(socket)),
      frontend_(frontend),
      clock_(clock),
      state_(state),
      in_(kBatch * kRecvSize),
      out_(kBatch * kReplySize),
      extra_(kBatch * kExtraSize),
      family_(socket_.local_endpoint().protocol().family()) {
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

  const UdpFrontend::Now now{clock_.now(), clock_.now_ms(), clock_.precise_ms()};
  unsigned replies = 0;
  for (int i = 0; i < received; ++i) {
    const auto& msg = in_msgs_[i];
    if (msg.msg_hdr.msg_flags & MSG_TRUNC) continue;  // oversize: never answered
    auto from = to_endpoint(addrs_[i]);
    std::span<const std::uint8_t> packet(in_.data() + i * kRecvSize, msg.msg_len);
    std::span<std::uint8_t> reply(out_.data() + i * kReplySize, kReplySize);
    std::span<std::uint8_t> extra_out(extra_.data() + i * kExtraSize, kExtraSize);
    UdpExtra extra;
    std::size_t size = frontend_.handle(packet, from, now, state_, reply, extra_out, extra);
    if (size > 0) {
      out_iov_[replies] = {reply.data(), size};
      out_msgs_[replies].msg_hdr.msg_name = &addrs_[i];
      out_msgs_[replies].msg_hdr.msg_namelen = in_msgs_[i].msg_hdr.msg_namelen;
      ++replies;
    }
    if (extra.size > 0) {
      out_iov_[replies] = {extra_out.data(), extra.size};
      out_msgs_[replies].msg_hdr.msg_name = &extra_addrs_[i];
      out_msgs_[replies].msg_hdr.msg_namelen = to_sockaddr(extra.to, family_, extra_addrs_[i]);
      ++replies;
    }
  }
  for (unsigned sent = 0; sent < replies;) {
    int n = sendmmsg(fd, out_msgs_.data() + sent, replies - sent, MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<unsigned>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // A full send buffer drops the rest of the batch: UDP clients retry.
      for (; sent < replies; ++sent) Counters::bump(state_.counters.udp_send_dropped);
    } else {
      Counters::bump(state_.counters.udp_send_dropped);  // this destination refused
      ++sent;
    }
  }
  return static_cast<std::size_t>(received) == kBatch;
}

}  // namespace cairn::net
