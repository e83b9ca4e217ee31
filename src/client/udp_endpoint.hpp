#pragma once
// An unconnected UDP socket's addresses as core::Endpoint, both ways, for
// the hole-punching client (one socket talks to the tracker and the peer).
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "core/endpoint.hpp"

namespace cairn::client {

inline core::Endpoint endpoint_of(const sockaddr_storage& ss) {
  core::Endpoint e;
  if (ss.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    e.address = core::Address::v4(
        std::span<const std::uint8_t, 4>(reinterpret_cast<const std::uint8_t*>(&sin.sin_addr), 4));
    e.port = ntohs(sin.sin_port);
  } else {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    e.address = core::Address::v6(std::span<const std::uint8_t, 16>(
        reinterpret_cast<const std::uint8_t*>(&sin6.sin6_addr), 16));
    e.port = ntohs(sin6.sin6_port);
  }
  return e;
}

// For a socket of `family` (AF_INET or AF_INET6): an IPv4 endpoint on an
// IPv6 socket becomes v4-mapped.
inline socklen_t sockaddr_of(const core::Endpoint& e, int family, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (family == AF_INET) {
    auto& sin = reinterpret_cast<sockaddr_in&>(ss);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(e.port);
    std::memcpy(&sin.sin_addr, e.address.bytes.data(), 4);
    return sizeof sin;
  }
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(e.port);
  if (e.family() == core::Family::v4) {
    sin6.sin6_addr.s6_addr[10] = 0xff;
    sin6.sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(sin6.sin6_addr.s6_addr + 12, e.address.bytes.data(), 4);
  } else {
    std::memcpy(&sin6.sin6_addr, e.address.bytes.data(), 16);
  }
  return sizeof sin6;
}

}  // namespace cairn::client
