#pragma once
// Opening the generator's sockets: each is bound to one loopback source
// address (so trackers see many hosts) and talks to the target only.
#include <sys/socket.h>

#include <cstdint>

#include "core/endpoint.hpp"

namespace cairn::load {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t size = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

SocketAddress to_socket_address(const core::Endpoint& e);

// Source address `index` with port 0: 127.0.0.1 + index for IPv4, ::1 for IPv6.
core::Endpoint source_endpoint(core::Family family, std::uint32_t index);

// A non-blocking UDP socket bound to `source` and connected to `target`, so
// the kernel drops datagrams from anyone else. Throws on failure (start-up).
int open_udp(const core::Endpoint& source, const core::Endpoint& target);

// Starts a non-blocking TCP connect from `source`. The source port is picked
// at connect time (IP_BIND_ADDRESS_NO_PORT), so ports are shared across
// destinations. Returns the socket, or -1 with errno set.
int start_tcp_connect(const core::Endpoint& source, const core::Endpoint& target);

}  // namespace cairn::load
