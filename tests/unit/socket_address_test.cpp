#include "net/socket_address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

using cairn::core::Family;
using cairn::net::to_endpoint;

namespace {

sockaddr_storage v6(const char* text, std::uint16_t port) {
  sockaddr_storage ss{};
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET6, text, &sin6.sin6_addr), 1) << text;
  return ss;
}

}  // namespace

// A v4-mapped source on an IPv6 socket is the IPv4 client: one peer, in
// IPv4 replies, however it reached us. (Cairn's [::] sockets are
// IPV6_V6ONLY, so none should arrive; this keeps it right if one does.)
TEST(SocketAddress, MappedSourceIsIPv4) {
  auto e = to_endpoint(v6("::ffff:192.0.2.7", 6881));
  EXPECT_EQ(e.family(), Family::v4);
  EXPECT_EQ(e.to_string(), "192.0.2.7:6881");
  sockaddr_storage ss{};
  auto& sin = reinterpret_cast<sockaddr_in&>(ss);
  sin.sin_family = AF_INET;
  sin.sin_port = htons(6881);
  inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
  EXPECT_EQ(to_endpoint(ss), e);
}

TEST(SocketAddress, OtherIPv6StaysIPv6) {
  for (const char* text : {"2001:db8::7", "::1", "::192.0.2.7", "64:ff9b::192.0.2.7"}) {
    auto e = to_endpoint(v6(text, 1));
    EXPECT_EQ(e.family(), Family::v6) << text;
  }
}
