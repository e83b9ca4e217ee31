// The ceiling for the side-by-side benchmarks: a tracker that touches no
// store. On one address it serves
//
//  - UDP (BEP 15), batched exactly like net/udp_listener (recvmmsg of 64, all
//    replies of a batch in one sendmmsg, same socket buffers);
//  - HTTP/1.1 keep-alive on TCP with the same system calls per request as
//    net/http_listener (one read, one write; epoll, level-triggered);
//
//  - with --dht-listen, KRPC (BEP 5) on a UDP socket of its own, batched
//    the same way: every ping, find_node and get_peers query is decoded with
//    Cairn's codec (the transaction id is needed) and answered with a fixed
//    reply of the same shape as Cairn's (8 nodes; a token and 50 values);
//
// so what it sustains is what this machine's loopback and kernel allow, and
// "Cairn reaches X % of the null responder" measures only what Cairn adds.
//
// Every connect gets one fixed connection id, every announce one fixed reply
// (50 peers of the socket's family, encoded once at start), every scrape a
// fixed reply (UDP: sized for the hashes asked; HTTP: one file). Only the UDP
// transaction id changes.
//
//   null_responder --listen 127.0.0.1:0 [--dht-listen 127.0.0.1:0]
//     prints "listening udp ADDR:PORT", "listening http ADDR:PORT" (and
//     "listening dht ADDR:PORT"), runs until SIGTERM or SIGINT
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "codec/http_response.hpp"
#include "codec/http_tracker.hpp"
#include "codec/krpc.hpp"
#include "codec/udp_tracker.hpp"

namespace {

namespace udp = cairn::codec::udp;
namespace krpc = cairn::codec::krpc;
using cairn::core::Endpoint;
using cairn::core::Family;

// The same sizes as net::UdpListener, so both do the same work per syscall.
constexpr std::size_t kBatch = 64;
constexpr std::size_t kRecvSize = 2048;
constexpr std::size_t kReplySize = 8192;
constexpr std::uint64_t kConnectionId = 0x0123456789abcdef;

struct Replies {
  std::vector<std::uint8_t> announce, scrape;  // UDP; transaction id patched per request
  std::string http_announce, http_scrape;      // whole HTTP responses
  std::string dht_nodes, dht_values;           // compact nodes and peers of KRPC replies
};

std::vector<cairn::core::PeerInfo> fixed_peers(Family family) {
  std::vector<cairn::core::PeerInfo> peers(50);
  for (std::size_t i = 0; i < peers.size(); ++i) {
    auto& a = peers[i].endpoint.address;
    a.family = family;
    a.bytes[0] = family == Family::v4 ? 10 : 0xfd;  // 10.0.0.i or fd00::i
    a.bytes[family == Family::v4 ? 3 : 15] = static_cast<std::uint8_t>(i + 1);
    peers[i].endpoint.port = static_cast<std::uint16_t>(6881 + i);
  }
  return peers;
}

Replies make_replies(Family family) {
  const auto fixed = fixed_peers(family);
  const cairn::core::PeerList peers(fixed);
  Replies r{
      std::vector<std::uint8_t>(kReplySize), std::vector<std::uint8_t>(kReplySize), {}, {}, {}, {}};
  r.announce.resize(
      udp::encode_announce_response(0, 1800, 25, 25, peers.view(), family, r.announce));
  const std::vector<udp::ScrapeStats> stats(udp::kMaxScrapeHashes, {25, 100, 25});
  r.scrape.resize(udp::encode_scrape_response(0, stats, r.scrape));

  std::string body;
  cairn::codec::encode_announce_reply({1800, 900, 25, 25, peers.view(), true, false, {}}, body);
  cairn::codec::write_http_response(r.http_announce, 200, "text/plain", body, true);
  body.clear();
  const cairn::codec::ScrapeFile file{{}, 25, 100, 25};
  cairn::codec::encode_scrape_reply(std::span(&file, 1), body);
  cairn::codec::write_http_response(r.http_scrape, 200, "text/plain", body, true);

  std::uint8_t buf[krpc::kNodeSize6];
  const std::string id(krpc::kIdSize, 'n');
  for (std::size_t i = 0; i < 8; ++i) {
    const std::size_t n = krpc::write_compact_node(id, fixed[i].endpoint, buf);
    r.dht_nodes.append(reinterpret_cast<const char*>(buf), n);
  }
  const auto values = peers.view().compact(family);
  r.dht_values.assign(reinterpret_cast<const char*>(values.data()), values.size());
  return r;
}

Endpoint to_endpoint(const sockaddr_storage& ss) {
  Endpoint e;
  if (ss.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    e.address.family = Family::v4;
    std::memcpy(e.address.bytes.data(), &sin.sin_addr, 4);
    e.port = ntohs(sin.sin_port);
  } else {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    e.address.family = Family::v6;
    std::memcpy(e.address.bytes.data(), &sin6.sin6_addr, 16);
    e.port = ntohs(sin6.sin6_port);
  }
  return e;
}

// The KRPC reply to `packet`, from fixed parts; 0 for anything but a
// ping, find_node or get_peers query.
std::size_t answer_krpc(const std::uint8_t* packet, std::size_t size, const sockaddr_storage& from,
                        const Replies& replies, std::uint8_t* out) {
  static const std::string kId(krpc::kIdSize, 'c');
  auto m = krpc::decode({packet, size});
  if (!m || m->type != krpc::Type::query) return 0;
  krpc::Reply r;
  r.transaction = m->transaction;
  r.requester = to_endpoint(from);
  r.id = kId;
  switch (m->method) {
    case krpc::Method::ping:
      break;
    case krpc::Method::find_node:
      r.nodes = replies.dht_nodes;
      break;
    case krpc::Method::get_peers:
      r.token = std::string_view("tokentok");
      r.values = replies.dht_values;
      r.value_size = r.requester.address.size() + 2;
      break;
    default:
      return 0;
  }
  return krpc::encode_reply(r, {out, kReplySize});
}

// Writes the reply to `packet` into `out` and returns its size; 0 sends
// nothing. Only the action and the length are checked: enough to pick a
// well-formed reply.
std::size_t answer_udp(const std::uint8_t* packet, std::size_t size, const Replies& replies,
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

socklen_t to_sockaddr(const Endpoint& at, sockaddr_storage& ss) {
  ss = {};
  if (at.family() == Family::v4) {
    auto& sin = reinterpret_cast<sockaddr_in&>(ss);
    sin.sin_family = AF_INET;
    std::memcpy(&sin.sin_addr, at.address.bytes.data(), 4);
    sin.sin_port = htons(at.port);
    return sizeof sin;
  }
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
  sin6.sin6_family = AF_INET6;
  std::memcpy(&sin6.sin6_addr, at.address.bytes.data(), 16);
  sin6.sin6_port = htons(at.port);
  return sizeof sin6;
}

// A bound, non-blocking socket (UDP with net::bind_udp's buffer sizes, TCP
// listening), or -1. A port of 0 in `at` becomes the one the kernel picked.
int open_socket(Endpoint& at, int type) {
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(at, ss);
  const int fd = socket(ss.ss_family, type | SOCK_NONBLOCK, 0);
  const int buffer = 4 << 20, on = 1;
  bool ok = fd >= 0;
  if (ok && type == SOCK_DGRAM)
    ok = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer) == 0 &&
         setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer) == 0;
  if (ok && type == SOCK_STREAM) ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0;
  ok = ok && bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) == 0 &&
       (type == SOCK_DGRAM || listen(fd, 1024) == 0) &&
       getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0;
  if (!ok) {
    if (fd >= 0) close(fd);
    return -1;
  }
  at.port = ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(ss).sin_port
                                          : reinterpret_cast<sockaddr_in6&>(ss).sin6_port);
  return fd;
}

class UdpSide {
 public:
  // `krpc`: the socket speaks KRPC (--dht-listen), else BEP 15.
  UdpSide(int fd, const Replies& replies, bool krpc = false)
      : fd_(fd),
        replies_(replies),
        krpc_(krpc),
        in_(kBatch * kRecvSize),
        out_(kBatch * kReplySize) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      in_iov_[i] = {in_.data() + i * kRecvSize, kRecvSize};
      in_msgs_[i].msg_hdr.msg_iov = &in_iov_[i];
      in_msgs_[i].msg_hdr.msg_iovlen = 1;
      out_msgs_[i].msg_hdr.msg_iov = &out_iov_[i];
      out_msgs_[i].msg_hdr.msg_iovlen = 1;
    }
  }

  // Drains while batches come back full, as the listener does.
  void drain() {
    while (one_batch() == static_cast<int>(kBatch)) {
    }
  }

 private:
  int one_batch() {
    for (std::size_t i = 0; i < kBatch; ++i) {
      in_msgs_[i].msg_hdr.msg_name = &addrs_[i];
      in_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      in_msgs_[i].msg_hdr.msg_flags = 0;
    }
    const int received = recvmmsg(fd_, in_msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
    unsigned replies = 0;
    for (int i = 0; i < received; ++i) {
      if (in_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) continue;
      std::uint8_t* reply = out_.data() + replies * kReplySize;
      const std::uint8_t* packet = in_.data() + i * kRecvSize;
      const std::size_t size =
          krpc_ ? answer_krpc(packet, in_msgs_[i].msg_len, addrs_[i], replies_, reply)
                : answer_udp(packet, in_msgs_[i].msg_len, replies_, reply);
      if (size == 0) continue;
      out_iov_[replies] = {reply, size};
      out_msgs_[replies].msg_hdr.msg_name = &addrs_[i];
      out_msgs_[replies].msg_hdr.msg_namelen = in_msgs_[i].msg_hdr.msg_namelen;
      ++replies;
    }
    // As the listener: a full send buffer drops the rest; clients retry.
    for (unsigned sent = 0; sent < replies;) {
      const int n = sendmmsg(fd_, out_msgs_.data() + sent, replies - sent, MSG_DONTWAIT);
      if (n > 0)
        sent += static_cast<unsigned>(n);
      else if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      else
        ++sent;
    }
    return received;
  }

  int fd_;
  const Replies& replies_;
  bool krpc_;
  std::vector<std::uint8_t> in_, out_;
  std::array<mmsghdr, kBatch> in_msgs_{}, out_msgs_{};
  std::array<iovec, kBatch> in_iov_{}, out_iov_{};
  std::array<sockaddr_storage, kBatch> addrs_{};
};

// Keep-alive HTTP connections: each complete request head (up to the blank
// line) gets the fixed announce reply, or the scrape reply for /scrape; the
// replies to everything read go out in one write.
class HttpSide {
 public:
  HttpSide(int epoll, int listener, const Replies& replies)
      : epoll_(epoll), listener_(listener), replies_(replies) {}

  void accept_all() {
    for (;;) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK);
      if (fd < 0) return;
      const int on = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      epoll_event ev{EPOLLIN, {.fd = fd}};
      epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
      connections_[fd];
    }
  }

  // Reads and answers, or, while a reply is stuck, only writes (as the
  // listener does: a client that does not read is not read from).
  void serve(int fd) {
    auto it = connections_.find(fd);
    if (it == connections_.end()) return;
    Connection& c = it->second;
    const bool writing = !c.out.empty();
    if (!(writing ? flush(fd, c) : read_and_answer(fd, c) && flush(fd, c))) {
      close(fd);
      connections_.erase(it);
    } else if (writing != !c.out.empty()) {
      epoll_event ev{c.out.empty() ? EPOLLIN : EPOLLOUT, {.fd = fd}};
      epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev);
    }
  }

 private:
  struct Connection {
    std::string in, out;
  };

  // False when the connection is done (closed by the client or an error).
  // One read per turn, as net::HttpListener: level-triggered epoll reports
  // the socket again if more is waiting.
  bool read_and_answer(int fd, Connection& c) {
    char buffer[16384];
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    c.in.append(buffer, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t end; (end = c.in.find("\r\n\r\n", start)) != std::string::npos;
         start = end + 4) {
      const bool scrape = std::string_view(c.in).substr(start, 11) == "GET /scrape";
      c.out += scrape ? replies_.http_scrape : replies_.http_announce;
    }
    c.in.erase(0, start);
    return c.in.size() <= 8192;  // else not HTTP
  }

  static bool flush(int fd, Connection& c) {
    while (!c.out.empty()) {
      const ssize_t n = send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
      c.out.erase(0, static_cast<std::size_t>(n));
    }
    return true;
  }

  int epoll_, listener_;
  const Replies& replies_;
  std::unordered_map<int, Connection> connections_;
};

volatile std::sig_atomic_t stop = 0;

}  // namespace

int main(int argc, char** argv) {
  std::optional<Endpoint> at, dht_at;
  if ((argc == 3 || argc == 5) && std::string_view(argv[1]) == "--listen")
    at = Endpoint::parse(argv[2]);
  if (argc == 5 && std::string_view(argv[3]) == "--dht-listen") dht_at = Endpoint::parse(argv[4]);
  if (!at || (argc == 5 && !dht_at)) {
    std::fprintf(stderr, "usage: null_responder --listen ADDR:PORT [--dht-listen ADDR:PORT]\n");
    return 2;
  }
  const int udp_fd = open_socket(*at, SOCK_DGRAM);  // picks the port when 0
  const int tcp_fd = udp_fd < 0 ? -1 : open_socket(*at, SOCK_STREAM);
  if (tcp_fd < 0) {
    std::fprintf(stderr, "null_responder: cannot bind %s: %s\n", argv[2], std::strerror(errno));
    return 1;
  }
  const Replies replies = make_replies(at->family());
  const int dht_fd = dht_at ? open_socket(*dht_at, SOCK_DGRAM) : -1;
  if (dht_at && dht_fd < 0) {
    std::fprintf(stderr, "null_responder: cannot bind %s: %s\n", argv[4], std::strerror(errno));
    return 1;
  }
  const Replies dht_replies = make_replies(dht_at ? dht_at->family() : at->family());

  // The signals stay blocked except inside epoll_pwait, so a stop request
  // cannot slip in between the check of `stop` and the wait.
  sigset_t blocked, during_wait;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  sigprocmask(SIG_BLOCK, &blocked, &during_wait);
  struct sigaction on_signal {};
  on_signal.sa_handler = [](int) { stop = 1; };
  sigaction(SIGTERM, &on_signal, nullptr);
  sigaction(SIGINT, &on_signal, nullptr);

  const int epoll = epoll_create1(0);
  epoll_event udp_ev{EPOLLIN, {.fd = udp_fd}}, tcp_ev{EPOLLIN, {.fd = tcp_fd}};
  epoll_ctl(epoll, EPOLL_CTL_ADD, udp_fd, &udp_ev);
  epoll_ctl(epoll, EPOLL_CTL_ADD, tcp_fd, &tcp_ev);
  UdpSide udp_side(udp_fd, replies);
  UdpSide dht_side(dht_fd, dht_replies, true);
  if (dht_fd >= 0) {
    epoll_event dht_ev{EPOLLIN, {.fd = dht_fd}};
    epoll_ctl(epoll, EPOLL_CTL_ADD, dht_fd, &dht_ev);
  }
  HttpSide http_side(epoll, tcp_fd, replies);
  std::printf("listening udp %s\nlistening http %s\n", at->to_string().c_str(),
              at->to_string().c_str());
  if (dht_at) std::printf("listening dht %s\n", dht_at->to_string().c_str());
  std::fflush(stdout);

  std::array<epoll_event, 128> events;
  while (!stop) {
    const int n = epoll_pwait(epoll, events.data(), events.size(), -1, &during_wait);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == udp_fd)
        udp_side.drain();
      else if (fd == dht_fd)
        dht_side.drain();
      else if (fd == tcp_fd)
        http_side.accept_all();
      else
        http_side.serve(fd);
    }
  }
  return 0;
}
