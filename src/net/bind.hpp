#pragma once
// Opening listening sockets. Every worker binds its own socket to the same
// address with SO_REUSEPORT; IPv6 sockets are v6-only so [::] and 0.0.0.0
// can be served side by side.
//
// SO_REUSEPORT would also let a second process of the same user bind the
// same address and silently take half of the traffic, so before the
// workers bind, probe_port() binds the address once without it: that bind
// fails while any other socket holds the port. Errors throw ListenError
// (start-up only).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "core/endpoint.hpp"

namespace cairn::net {

// One line for a person, with no library internals: "cannot listen on udp
// 127.0.0.1:6969: address already in use (by another process)".
class ListenError : public std::runtime_error {
 public:
  ListenError(std::string_view protocol, const core::Endpoint& at, std::error_code error);
  std::error_code code() const { return error_; }

 private:
  std::error_code error_;
};

// Checks that no socket holds `at`, for UDP and then TCP, by binding each
// without SO_REUSEPORT and closing it again. Returns the port: `at.port`,
// or with port 0 the one the kernel picked for UDP (then checked for TCP).
std::uint16_t probe_port(const core::Endpoint& at);
// The same for UDP alone (the DHT's sockets); `protocol` names it in errors.
std::uint16_t probe_udp_port(const core::Endpoint& at, std::string_view protocol);

boost::asio::ip::udp::socket bind_udp(boost::asio::io_context& io, const core::Endpoint& at,
                                      std::string_view protocol = "udp");
boost::asio::ip::tcp::acceptor bind_tcp(boost::asio::io_context& io, const core::Endpoint& at);

}  // namespace cairn::net
