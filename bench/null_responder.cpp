// The ceiling for UDP benchmarks: a BEP 15 server that touches no store. It
// batches exactly like net/udp_listener (recvmmsg of 64, all replies of a
// batch in one sendmmsg, same socket buffers), so what it sustains is what
// this machine's loopback and kernel allow; "Cairn reaches X % of the null
// responder" then measures only what Cairn adds on top.
//
// Every connect gets one fixed connection id, every announce one fixed reply
// (50 peers of the socket's family, encoded once at start), every scrape a
// fixed reply sized for the hashes asked. Only the transaction id changes.
//
//   null_responder --listen 127.0.0.1:0   prints "listening udp ADDR:PORT",
//                                         runs until SIGTERM or SIGINT
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "codec/udp_tracker.hpp"

namespace {

namespace udp = cairn::codec::udp;
using cairn::core::Endpoint;
using cairn::core::Family;

// The same sizes as net::UdpListener, so both do the same work per syscall.
constexpr std::size_t kBatch = 64;
constexpr std::size_t kRecvSize = 2048;
constexpr std::size_t kReplySize = 8192;
constexpr std::uint64_t kConnectionId = 0x0123456789abcdef;

struct Replies {
  std::vector<std::uint8_t> announce, scrape;  // transaction id patched per request
};

Replies make_replies(Family family) {
  std::vector<cairn::core::PeerInfo> peers(50);
  for (std::size_t i = 0; i < peers.size(); ++i) {
    auto& a = peers[i].endpoint.address;
    a.family = family;
    a.bytes[0] = family == Family::v4 ? 10 : 0xfd;  // 10.0.0.i or fd00::i
    a.bytes[family == Family::v4 ? 3 : 15] = static_cast<std::uint8_t>(i + 1);
    peers[i].endpoint.port = static_cast<std::uint16_t>(6881 + i);
  }
  Replies r{std::vector<std::uint8_t>(kReplySize), std::vector<std::uint8_t>(kReplySize)};
  r.announce.resize(udp::encode_announce_response(0, 1800, 25, 25, peers, family, r.announce));
  const std::vector<udp::ScrapeStats> stats(udp::kMaxScrapeHashes, {25, 100, 25});
  r.scrape.resize(udp::encode_scrape_response(0, stats, r.scrape));
  return r;
}

// Writes the reply to `packet` into `out` and returns its size; 0 sends
// nothing. Only the action and the length are checked: enough to pick a
// well-formed reply.
std::size_t answer(const std::uint8_t* packet, std::size_t size, const Replies& replies,
                   std::uint8_t* out) {
  if (size < 16 || packet[8] != 0 || packet[9] != 0 || packet[10] != 0) return 0;
  const std::size_t hashes = (size - 16) / 20;
  std::size_t n = 0;
  if (packet[11] == 0) {
    const std::uint8_t* t = packet + 12;
    const std::uint32_t txid = std::uint32_t{t[0]} << 24 | t[1] << 16 | t[2] << 8 | t[3];
    return udp::encode_connect_response(txid, kConnectionId, {out, kReplySize});
  } else if (packet[11] == 1 && size >= 98) {
    n = replies.announce.size();
    std::memcpy(out, replies.announce.data(), n);
  } else if (packet[11] == 2 && hashes > 0 && hashes <= udp::kMaxScrapeHashes &&
             size == 16 + 20 * hashes) {
    n = 8 + 12 * hashes;
    std::memcpy(out, replies.scrape.data(), n);
  } else {
    return 0;
  }
  std::memcpy(out + 4, packet + 12, 4);  // transaction id, already big-endian
  return n;
}

// A bound, non-blocking UDP socket with net::bind_udp's buffer sizes, or -1.
// `at` gets the port the kernel picked.
int open_socket(Endpoint& at) {
  sockaddr_storage ss{};
  auto& sin = reinterpret_cast<sockaddr_in&>(ss);
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
  const bool v4 = at.family() == Family::v4;
  ss.ss_family = v4 ? AF_INET : AF_INET6;
  if (v4) std::memcpy(&sin.sin_addr, at.address.bytes.data(), 4);
  else std::memcpy(&sin6.sin6_addr, at.address.bytes.data(), 16);
  (v4 ? sin.sin_port : sin6.sin6_port) = htons(at.port);
  socklen_t len = v4 ? sizeof sin : sizeof sin6;
  const int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  const int buffer = 4 << 20;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer) != 0 ||
      bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  at.port = ntohs(v4 ? sin.sin_port : sin6.sin6_port);
  return fd;
}

volatile std::sig_atomic_t stop = 0;

}  // namespace

int main(int argc, char** argv) {
  std::optional<Endpoint> at;
  if (argc == 3 && std::string_view(argv[1]) == "--listen") at = Endpoint::parse(argv[2]);
  if (!at) {
    std::fprintf(stderr, "usage: null_responder --listen ADDR:PORT\n");
    return 2;
  }
  const int fd = open_socket(*at);
  if (fd < 0) {
    std::fprintf(stderr, "null_responder: cannot bind %s: %s\n", argv[2], std::strerror(errno));
    return 1;
  }
  const Replies replies = make_replies(at->family());

  // The signals stay blocked except inside ppoll, so a stop request cannot
  // slip in between the check of `stop` and the wait.
  sigset_t blocked, during_wait;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  sigprocmask(SIG_BLOCK, &blocked, &during_wait);
  struct sigaction on_signal {};
  on_signal.sa_handler = [](int) { stop = 1; };
  sigaction(SIGTERM, &on_signal, nullptr);
  sigaction(SIGINT, &on_signal, nullptr);
  std::printf("listening udp %s\n", at->to_string().c_str());
  std::fflush(stdout);

  std::vector<std::uint8_t> in(kBatch * kRecvSize), out(kBatch * kReplySize);
  std::array<mmsghdr, kBatch> in_msgs{}, out_msgs{};
  std::array<iovec, kBatch> in_iov{}, out_iov{};
  std::array<sockaddr_storage, kBatch> addrs{};
  for (std::size_t i = 0; i < kBatch; ++i) {
    in_iov[i] = {in.data() + i * kRecvSize, kRecvSize};
    in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
    in_msgs[i].msg_hdr.msg_iovlen = 1;
    out_msgs[i].msg_hdr.msg_iov = &out_iov[i];
    out_msgs[i].msg_hdr.msg_iovlen = 1;
  }
  pollfd pfd{fd, POLLIN, 0};
  while (!stop) {
    if (ppoll(&pfd, 1, nullptr, &during_wait) <= 0) continue;  // EINTR: look at `stop`
    // Drain while batches come back full, as the listener does.
    for (int received = static_cast<int>(kBatch); received == static_cast<int>(kBatch);) {
      for (std::size_t i = 0; i < kBatch; ++i) {
        in_msgs[i].msg_hdr.msg_name = &addrs[i];
        in_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        in_msgs[i].msg_hdr.msg_flags = 0;
      }
      received = recvmmsg(fd, in_msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      unsigned replies_n = 0;
      for (int i = 0; i < received; ++i) {
        if (in_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue;
        std::uint8_t* reply = out.data() + replies_n * kReplySize;
        const std::size_t size = answer(in.data() + i * kRecvSize, in_msgs[i].msg_len, replies, reply);
        if (size == 0) continue;
        out_iov[replies_n] = {reply, size};
        out_msgs[replies_n].msg_hdr.msg_name = &addrs[i];
        out_msgs[replies_n].msg_hdr.msg_namelen = in_msgs[i].msg_hdr.msg_namelen;
        ++replies_n;
      }
      // As the listener: a full send buffer drops the rest; clients retry.
      for (unsigned sent = 0; sent < replies_n;) {
        const int n = sendmmsg(fd, out_msgs.data() + sent, replies_n - sent, MSG_DONTWAIT);
        if (n > 0) sent += static_cast<unsigned>(n);
        else if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        else ++sent;
      }
    }
  }
  close(fd);
  return 0;
}
