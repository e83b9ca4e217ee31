// The metrics registry after real traffic: a Server on 127.0.0.1 with two
// workers gets a BEP 15 connect and announce and an HTTP announce through
// real sockets, and its registry shows them, summed over the workers, with
// the store's numbers beside them.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <set>
#include <string>
#include <thread>

#include "server/server.hpp"

namespace cairn::server {
namespace {

// A socket of `type` connected to 127.0.0.1:port, reads timing out after 5 s.
int connected(int type, std::uint16_t port) {
  const int fd = ::socket(AF_INET, type, 0);
  EXPECT_GE(fd, 0);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);
  return fd;
}

void put(std::uint8_t* at, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) at[i] = static_cast<std::uint8_t>(v >> (8 * (bytes - 1 - i)));
}

// BEP 15: connect, then announce one torrent; true if both were answered.
bool udp_announce(std::uint16_t port) {
  const int fd = connected(SOCK_DGRAM, port);
  std::array<std::uint8_t, 98> out{};
  std::array<std::uint8_t, 512> in{};
  put(out.data(), 0x41727101980, 8);  // protocol id
  put(out.data() + 8, 0, 4);          // connect
  put(out.data() + 12, 7, 4);         // transaction id
  bool ok = ::send(fd, out.data(), 16, 0) == 16 && ::recv(fd, in.data(), in.size(), 0) == 16;
  if (ok) {
    std::memcpy(out.data(), in.data() + 8, 8);  // the connection id
    put(out.data() + 8, 1, 4);                  // announce
    std::memset(out.data() + 16, 0xab, 20);     // info hash
    std::memset(out.data() + 36, 0x01, 20);     // peer id
    put(out.data() + 64, 100, 8);               // left
    put(out.data() + 92, 50, 4);                // numwant
    put(out.data() + 96, 6881, 2);              // port
    ok = ::send(fd, out.data(), out.size(), 0) == 98 && ::recv(fd, in.data(), in.size(), 0) >= 20;
  }
  ::close(fd);
  return ok;
}

// One HTTP announce of another torrent; the reply's status line.
std::string http_announce(std::uint16_t port) {
  const int fd = connected(SOCK_STREAM, port);
  const std::string request =
      "GET /announce?info_hash="
      "%cd%cd%cd%cd%cd%cd%cd%cd%cd%cd%cd%cd%cd%cd%cd%cd%cd%cd%cd%cd"
      "&peer_id=-CA0001-abcdefghijkl&port=6882&uploaded=0&downloaded=0&left=0 HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\nConnection: close\r\n\r\n";
  std::string reply;
  if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    char buf[2048];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, std::size_t(n));
  }
  ::close(fd);
  return reply.substr(0, reply.find("\r\n"));
}

std::uint64_t value_of(const tracker::MetricsRegistry& r, const std::string& name) {
  for (const auto& row : r.rows())
    if (row.name == name) return row.value;
  ADD_FAILURE() << "no metric " << name;
  return 0;
}

TEST(ServerMetrics, CountTheTrafficOfEveryWorker) {
  Config config;
  config.listen = {*core::Endpoint::parse("127.0.0.1:0")};
  config.workers = 2;
  config.log_level = "warn";
  Server server(config);
  server.start();
  const std::uint16_t port = server.listening().at(0).port;

  ASSERT_TRUE(udp_announce(port));
  ASSERT_EQ(http_announce(port), "HTTP/1.1 200 OK");
  const auto& m = server.metrics();
  // The HTTP counters are bumped before the reply is written, but read here
  // from another thread: wait until they show.
  for (int i = 0; i < 200 && value_of(m, "http_announces") == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));

  EXPECT_EQ(value_of(m, "udp_received"), 2u);
  EXPECT_EQ(value_of(m, "udp_connects"), 1u);
  EXPECT_EQ(value_of(m, "udp_announces"), 1u);
  EXPECT_EQ(value_of(m, "http_connections"), 1u);
  EXPECT_EQ(value_of(m, "http_requests"), 1u);
  EXPECT_EQ(value_of(m, "http_announces"), 1u);
  EXPECT_EQ(value_of(m, "udp_malformed"), 0u);
  EXPECT_EQ(value_of(m, "store_torrents"), 2u);
  EXPECT_EQ(value_of(m, "store_peers"), 2u);
  EXPECT_EQ(value_of(m, "store_seeders"), 1u);  // the HTTP peer, left=0

  std::set<std::string> names;
  for (const auto& row : m.rows()) EXPECT_TRUE(names.insert(row.name).second) << row.name;
  std::string text;
  m.write_prometheus(text);
  EXPECT_NE(text.find("\ncairn_udp_announces_total 1\n"), std::string::npos) << text;
  EXPECT_TRUE(server.stop());
}

}  // namespace
}  // namespace cairn::server
