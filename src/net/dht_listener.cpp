#include "net/dht_listener.hpp"

#include <cerrno>
#include <chrono>

#include "net/socket_address.hpp"

namespace cairn::net {

DhtListener::DhtListener(boost::asio::ip::udp::socket socket, tracker::dht::Dht& dht,
                         std::size_t sockets, std::uint64_t seed, const clock::CoarseClock& clock,
                         WorkerState& state)
    : socket_(std::move(socket)),
      ping_timer_(socket_.get_executor()),
      dht_(dht),
      worker_(dht.policy(), sockets, seed),
      clock_(clock),
      state_(state),
      in_(kBatch * kRecvSize),
      out_(kBatch * kReplySize) {
  socket_.non_blocking(true);
  for (std::size_t i = 0; i < kBatch; ++i) {
    in_iov_[i] = {in_.data() + i * kRecvSize, kRecvSize};
    in_msgs_[i].msg_hdr.msg_iov = &in_iov_[i];
    in_msgs_[i].msg_hdr.msg_iovlen = 1;
    out_msgs_[i].msg_hdr.msg_iov = &out_iov_[i];
    out_msgs_[i].msg_hdr.msg_iovlen = 1;
  }
}

void DhtListener::start() {
  wait();
  schedule_pings();
}

void DhtListener::close() {
  closed_ = true;
  ping_timer_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void DhtListener::wait() {
  socket_.async_wait(boost::asio::socket_base::wait_read, [this](boost::system::error_code ec) {
    if (ec) return;  // closed
    // Bounded, as UdpListener: a flood here must not starve the worker's
    // other sockets.
    for (int i = 0; i < 8 && drain_one_batch(); ++i) {
    }
    wait();
  });
}

bool DhtListener::drain_one_batch() {
  const int fd = socket_.native_handle();
  for (std::size_t i = 0; i < kBatch; ++i) {
    in_msgs_[i].msg_hdr.msg_name = &addrs_[i];
    in_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    in_msgs_[i].msg_hdr.msg_flags = 0;
  }
  const int received = recvmmsg(fd, in_msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (received <= 0) return false;

  const core::Seconds now = clock_.now();
  const core::Millis now_ms = clock_.now_ms();
  unsigned replies = 0;
  for (int i = 0; i < received; ++i) {
    const auto& msg = in_msgs_[i];
    if (msg.msg_hdr.msg_flags & MSG_TRUNC) {  // oversize: never answered
      Counters::bump(
          state_.counters.dht_outcomes[static_cast<std::size_t>(tracker::dht::Outcome::garbage)]);
      continue;
    }
    const auto from = to_endpoint(addrs_[i]);
    if (!state_.limiter.allow(from.address, now_ms)) {
      Counters::bump(state_.counters.dht_rate_limited);
      continue;
    }
    std::span<const std::uint8_t> packet(in_.data() + i * kRecvSize, msg.msg_len);
    std::span<std::uint8_t> reply(out_.data() + replies * kReplySize, kReplySize);
    auto outcome = tracker::dht::Outcome::garbage;
    const std::size_t size =
        dht_.handle(packet, from, now, now_ms, worker_, state_.access, reply, outcome);
    Counters::bump(state_.counters.dht_outcomes[static_cast<std::size_t>(outcome)]);
    if (size == 0) continue;
    out_iov_[replies] = {reply.data(), size};
    out_msgs_[replies].msg_hdr.msg_name = &addrs_[i];
    out_msgs_[replies].msg_hdr.msg_namelen = in_msgs_[i].msg_hdr.msg_namelen;
    ++replies;
  }
  send(replies);
  return static_cast<std::size_t>(received) == kBatch;
}

void DhtListener::send(unsigned count) {
  const int fd = socket_.native_handle();
  for (unsigned sent = 0; sent < count;) {
    const int n = sendmmsg(fd, out_msgs_.data() + sent, count - sent, MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<unsigned>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // A full send buffer drops the rest: DHT nodes retry, and a node
      // whose verification ping is lost is verified when it queries again.
      for (; sent < count; ++sent) Counters::bump(state_.counters.udp_send_dropped);
    } else {
      Counters::bump(state_.counters.udp_send_dropped);  // this destination refused
      ++sent;
    }
  }
}

void DhtListener::schedule_pings() {
  ping_timer_.expires_after(std::chrono::seconds(1));
  ping_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || closed_) return;
    send_due_pings();
    schedule_pings();
  });
}

// At most kMaxPingBatches batches a tick: the queue is in due order, so
// what is left waits a second, and the pings of a flood are spread out.
void DhtListener::send_due_pings() {
  for (int i = 0; i < kMaxPingBatches && send_due_ping_batch(); ++i) {
  }
}

bool DhtListener::send_due_ping_batch() {
  std::array<tracker::dht::PendingNode, kBatch> due;
  const core::Seconds now = clock_.now();
  const std::size_t n = worker_.queue().take_due(now, due);
  unsigned count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::span<std::uint8_t> ping(out_.data() + count * kReplySize, kReplySize);
    const std::size_t size = dht_.encode_ping(due[i], now, ping);
    if (size == 0) continue;
    out_iov_[count] = {ping.data(), size};
    out_msgs_[count].msg_hdr.msg_name = &ping_addrs_[count];
    out_msgs_[count].msg_hdr.msg_namelen = to_sockaddr(due[i].endpoint, ping_addrs_[count]);
    ++count;
  }
  send(count);
  for (unsigned i = 0; i < count; ++i) Counters::bump(state_.counters.dht_pings_sent);
  return n == kBatch;
}

}  // namespace cairn::net
