#include "net/bind.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>
#include <type_traits>

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

// What went wrong, in words that say what to do about it.
std::string reason(std::error_code error) {
  if (error == std::errc::address_in_use) return "address already in use (by another process)";
  if (error == std::errc::address_not_available)
    return "cannot assign requested address (no interface of this machine has it)";
  if (error == std::errc::permission_denied)
    return "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  std::string text = error.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string listen_error_text(std::string_view protocol, const core::Endpoint& at,
                              std::error_code error) {
  return "cannot listen on " + std::string(protocol) + " " + at.to_string() + ": " + reason(error);
}

// Asio reports errors as boost::system::error_code; a socket error is an
// errno value in the system category.
void check(const boost::system::error_code& ec, std::string_view protocol,
           const core::Endpoint& at) {
  if (ec) throw ListenError(protocol, at, std::error_code(ec.value(), std::generic_category()));
}

enum class Sharing : std::uint8_t { with_own_workers, exclusive };

template <class Socket>
void open_and_bind(Socket& s, std::string_view protocol, const core::Endpoint& at,
                   Sharing sharing) {
  using Protocol = typename Socket::protocol_type;
  const typename Protocol::endpoint ep(to_asio(at.address), at.port);
  boost::system::error_code ec;
  s.open(ep.protocol(), ec);
  check(ec, protocol, at);
  if (sharing == Sharing::with_own_workers) s.set_option(ReusePort(true), ec);
  check(ec, protocol, at);
  if (at.family() == core::Family::v6) s.set_option(asio::ip::v6_only(true), ec);
  check(ec, protocol, at);
  // A restart must not wait for the last run's connections in TIME_WAIT.
  if constexpr (std::is_same_v<Protocol, asio::ip::tcp>)
    s.set_option(asio::socket_base::reuse_address(true), ec);
  check(ec, protocol, at);
  s.bind(ep, ec);
  check(ec, protocol, at);
}

}  // namespace

ListenError::ListenError(std::string_view protocol, const core::Endpoint& at, std::error_code error)
    : std::runtime_error(listen_error_text(protocol, at, error)), error_(error) {}

std::uint16_t probe_udp_port(const core::Endpoint& at, std::string_view protocol) {
  // The probe closes before the workers bind (which it would block), so a
  // process binding in the few system calls between goes unnoticed.
  asio::io_context io;
  asio::ip::udp::socket udp(io);
  open_and_bind(udp, protocol, at, Sharing::exclusive);
  boost::system::error_code ec;
  const std::uint16_t port = udp.local_endpoint(ec).port();
  check(ec, protocol, at);
  return port;
}

std::uint16_t probe_port(const core::Endpoint& at) {
  core::Endpoint picked = at;
  picked.port = probe_udp_port(at, "udp");
  asio::io_context io;
  asio::ip::tcp::acceptor tcp(io);
  open_and_bind(tcp, "http", picked, Sharing::exclusive);
  return picked.port;
}

asio::ip::udp::socket bind_udp(asio::io_context& io, const core::Endpoint& at,
                               std::string_view protocol) {
  asio::ip::udp::socket s(io);
  open_and_bind(s, protocol, at, Sharing::with_own_workers);
  // Room for bursts between two drains of the socket.
  boost::system::error_code ec;
  s.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
  if (!ec) s.set_option(asio::socket_base::send_buffer_size(4 << 20), ec);
  check(ec, protocol, at);
  return s;
}

asio::ip::tcp::acceptor bind_tcp(asio::io_context& io, const core::Endpoint& at) {
  asio::ip::tcp::acceptor a(io);
  open_and_bind(a, "http", at, Sharing::with_own_workers);
  boost::system::error_code ec;
  a.listen(asio::socket_base::max_listen_connections, ec);
  check(ec, "http", at);
  return a;
}

}  // namespace cairn::net
