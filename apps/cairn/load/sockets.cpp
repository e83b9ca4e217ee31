#include "load/sockets.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace cairn::load {

namespace {
// Large enough that a full window of replies never overflows while the
// thread is busy elsewhere; the kernel caps it at net.core.rmem_max.
constexpr int kUdpBuffer = 4 << 20;
}  // namespace

SocketAddress to_socket_address(const core::Endpoint& e) {
  SocketAddress a;
  if (e.family() == core::Family::v4) {
    auto& sin = reinterpret_cast<sockaddr_in&>(a.storage);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(e.port);
    std::memcpy(&sin.sin_addr, e.address.bytes.data(), 4);
    a.size = sizeof sin;
  } else {
    auto& sin6 = reinterpret_cast<sockaddr_in6&>(a.storage);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(e.port);
    std::memcpy(&sin6.sin6_addr, e.address.bytes.data(), 16);
    a.size = sizeof sin6;
  }
  return a;
}

core::Endpoint source_endpoint(core::Family family, std::uint32_t index) {
  core::Endpoint e;
  if (family == core::Family::v6) {
    e.address = *core::Address::parse("::1");
    return e;
  }
  std::uint32_t host = 0x7f000001u + index;
  std::uint8_t b[4] = {static_cast<std::uint8_t>(host >> 24), static_cast<std::uint8_t>(host >> 16),
                       static_cast<std::uint8_t>(host >> 8), static_cast<std::uint8_t>(host)};
  e.address = core::Address::v4(b);
  return e;
}

int open_udp(const core::Endpoint& source, const core::Endpoint& target) {
  int domain = target.family() == core::Family::v4 ? AF_INET : AF_INET6;
  int fd = ::socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("udp socket: ") + std::strerror(errno));
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kUdpBuffer, sizeof kUdpBuffer);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kUdpBuffer, sizeof kUdpBuffer);
  auto src = to_socket_address(source), dst = to_socket_address(target);
  if (::bind(fd, src.get(), src.size) != 0 || ::connect(fd, dst.get(), dst.size) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("udp socket " + source.address.to_string() + " -> " +
                             target.to_string() + ": " + why);
  }
  return fd;
}

int start_tcp_connect(const core::Endpoint& source, const core::Endpoint& target) {
  int domain = target.family() == core::Family::v4 ? AF_INET : AF_INET6;
  int fd = ::socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  auto src = to_socket_address(source), dst = to_socket_address(target);
  if (::bind(fd, src.get(), src.size) != 0 ||
      (::connect(fd, dst.get(), dst.size) != 0 && errno != EINPROGRESS)) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

}  // namespace cairn::load
