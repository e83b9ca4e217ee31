#pragma once
// Conversions between the kernel's socket addresses and core::Endpoint.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "core/endpoint.hpp"

namespace cairn::net {

inline core::Endpoint to_endpoint(const sockaddr_storage& ss) {
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

// The kernel's form of `e`; returns its length.
inline socklen_t to_sockaddr(const core::Endpoint& e, sockaddr_storage& ss) {
  ss = {};
  if (e.family() == core::Family::v4) {
    auto& sin = reinterpret_cast<sockaddr_in&>(ss);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(e.port);
    std::memcpy(&sin.sin_addr, e.address.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(e.port);
  std::memcpy(&sin6.sin6_addr, e.address.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

}  // namespace cairn::net
