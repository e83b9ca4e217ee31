#include "net/bind.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>

namespace cairn::net {

namespace asio = boost::asio;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

namespace {

asio::ip::address to_asio(const core::Address& a) {
  if (a.family == core::Family::v4) {
    asio::ip::address_v4::bytes_type b;
    std::copy_n(a.bytes.begin(), 4, b.begin());
    return asio::ip::address_v4(b);
  }
  asio::ip::address_v6::bytes_type b;
  std::copy_n(a.bytes.begin(), 16, b.begin());
  return asio::ip::address_v6(b);
}

template <class Socket, class Protocol>
void prepare(Socket& s, const Protocol& protocol, const core::Endpoint& at) {
  s.open(protocol);
  s.set_option(ReusePort(true));
  if (at.family() == core::Family::v6) s.set_option(asio::ip::v6_only(true));
}

}  // namespace

asio::ip::udp::socket bind_udp(asio::io_context& io, const core::Endpoint& at) {
  asio::ip::udp::endpoint ep(to_asio(at.address), at.port);
  asio::ip::udp::socket s(io);
  prepare(s, ep.protocol(), at);
  // Room for bursts between two drains of the socket.
  s.set_option(asio::socket_base::receive_buffer_size(4 << 20));
  s.set_option(asio::socket_base::send_buffer_size(4 << 20));
  s.bind(ep);
  return s;
}

asio::ip::tcp::acceptor bind_tcp(asio::io_context& io, const core::Endpoint& at) {
  asio::ip::tcp::endpoint ep(to_asio(at.address), at.port);
  asio::ip::tcp::acceptor a(io);
  prepare(a, ep.protocol(), at);
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(asio::socket_base::max_listen_connections);
  return a;
}

}  // namespace cairn::net
