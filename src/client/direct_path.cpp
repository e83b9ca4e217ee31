#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "client/punch.hpp"
#include "client/punch_socket.hpp"

namespace cairn::client {

namespace punch = codec::punch;

DirectPath::DirectPath(int fd, core::Endpoint peer, std::optional<core::Endpoint> relay_via,
                       punch::Offer offer, punch::PeerKey key, PathStats stats,
                       std::deque<std::vector<std::uint8_t>> inbox, std::uint64_t connection_id)
    : fd_(fd),
      peer_(peer),
      relay_(relay_via),
      offer_(offer),
      key_(key),
      stats_(stats),
      inbox_(std::move(inbox)),
      connection_id_(connection_id) {}

DirectPath::DirectPath(DirectPath&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      peer_(other.peer_),
      relay_(other.relay_),
      offer_(other.offer_),
      key_(other.key_),
      stats_(other.stats_),
      inbox_(std::move(other.inbox_)),
      connection_id_(other.connection_id_),
      seq_(other.seq_) {}

DirectPath::~DirectPath() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> DirectPath::send_raw(std::span<const std::uint8_t> packet) {
  if (::send(fd_, packet.data(), packet.size(), 0) < 0)
    return Error{"sending to " + (relay_ ? relay_->to_string() : peer_.to_string()) + ": " +
                 std::strerror(errno)};
  return {};
}

// Relayed, a data message travels inside a relay request to the tracker,
// which forwards it to the peer (docs/rendezvous.md); direct, as it is.
Result<void> DirectPath::send(std::span<const std::uint8_t> payload) {
  std::array<std::uint8_t, 1500> message;
  punch::PeerMessage m{punch::PeerType::data, offer_.role, offer_.attempt, seq_++, payload};
  std::size_t n = punch::encode_peer_message(m, key_, message);
  if (n == 0)
    return Error{"a datagram holds at most " + std::to_string(punch::kMaxPayload) + " bytes"};
  if (!relay_) return send_raw(std::span(message.data(), n));
  std::array<std::uint8_t, 1500> out;
  punch::RelayRequest r{
      {connection_id_, random_txid()}, offer_.attempt, offer_.token, std::span(message.data(), n)};
  std::size_t size = punch::encode_request(r, out);
  if (size == 0) return Error{"the datagram is too large to relay"};
  return send_raw(std::span(out.data(), size));
}

// A data message from the peer; a probe is answered (its sender has not
// seen our ack yet), anything else ignored.
std::optional<std::vector<std::uint8_t>> DirectPath::take(std::span<const std::uint8_t> packet) {
  auto m = punch::parse_peer_message(packet, key_);
  if (!m || m->attempt != offer_.attempt || m->sender == offer_.role) return std::nullopt;
  if (m->type == punch::PeerType::probe && !relay_) {
    std::array<std::uint8_t, 64> ack;
    punch::PeerMessage a{punch::PeerType::ack, offer_.role, offer_.attempt, m->seq, {}};
    if (std::size_t n = punch::encode_peer_message(a, key_, ack))
      (void)send_raw(std::span(ack.data(), n));
  }
  if (m->type != punch::PeerType::data) return std::nullopt;
  return std::vector<std::uint8_t>(m->payload.begin(), m->payload.end());
}

Result<std::optional<std::vector<std::uint8_t>>> DirectPath::receive(Millis timeout) {
  if (!inbox_.empty()) {
    auto first = std::move(inbox_.front());
    inbox_.pop_front();
    return std::optional(std::move(first));
  }
  const auto deadline = PunchClock::now() + timeout;
  std::array<std::uint8_t, 2048> buffer;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - PunchClock::now()).count();
    if (left <= 0) return std::optional<std::vector<std::uint8_t>>();
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n <= 0) continue;
    std::span<const std::uint8_t> packet(buffer.data(), static_cast<std::size_t>(n));
    if (relay_) {
      auto answer = punch::parse_answer(packet);
      if (!answer) continue;
      if (auto* e = std::get_if<codec::udp::ErrorResponse>(&*answer))
        return Error{"the relay refused: " + std::string(e->message)};
      auto* r = std::get_if<punch::Relayed>(&*answer);
      if (!r || r->attempt != offer_.attempt) continue;
      packet = r->payload;
    }
    if (auto data = take(packet)) return std::optional(std::move(*data));
  }
}

}  // namespace cairn::client
