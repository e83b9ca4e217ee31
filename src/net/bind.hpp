#pragma once
// Opening listening sockets. Every worker binds its own socket to the same
// address with SO_REUSEPORT; IPv6 sockets are v6-only so [::] and 0.0.0.0
// can be served side by side. Errors throw (start-up only).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/endpoint.hpp"

namespace cairn::net {

boost::asio::ip::udp::socket bind_udp(boost::asio::io_context& io, const core::Endpoint& at);
boost::asio::ip::tcp::acceptor bind_tcp(boost::asio::io_context& io, const core::Endpoint& at);

}  // namespace cairn::net
