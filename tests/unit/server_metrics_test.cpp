// The metrics registry after real traffic: a Server on 127.0.0.1 with two
// workers gets a BEP 15 connect and announce, an HTTP announce, a STUN
// Binding request, a hole-punching session request and a WebSocket
// announce through real sockets, and its registry shows them, summed over
// the workers, with the store's numbers beside them.
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

#include "codec/punch.hpp"
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

// BEP 15 connect on `fd`; the connection id, or 0.
std::uint64_t connection_id(int fd) {
  std::array<std::uint8_t, 16> out{}, in{};
  put(out.data(), 0x41727101980, 8);  // protocol id
  put(out.data() + 12, 9, 4);         // connect, transaction id 9
  if (::send(fd, out.data(), out.size(), 0) != 16 || ::recv(fd, in.data(), in.size(), 0) != 16)
    return 0;
  std::uint64_t id = 0;
  for (int i = 8; i < 16; ++i) id = (id << 8) | in[std::size_t(i)];
  return id;
}

// An unpadded 20-byte STUN Binding request (what ICE agents send); the
// answer's size, or -1.
ssize_t stun_binding(std::uint16_t port) {
  const int fd = connected(SOCK_DGRAM, port);
  std::array<std::uint8_t, 20> out{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
  std::memset(out.data() + 8, 0x5a, 12);  // transaction id
  std::array<std::uint8_t, 512> in{};
  ssize_t n =
      ::send(fd, out.data(), out.size(), 0) == 20 ? ::recv(fd, in.data(), in.size(), 0) : -1;
  ::close(fd);
  return n;
}

// A hole-punching session for a record nobody registered: refused.
bool punch_session_refused(std::uint16_t port) {
  const int fd = connected(SOCK_DGRAM, port);
  codec::punch::SessionRequest r;
  r.header = {connection_id(fd), 11};
  r.topic = core::TopicId::from_bytes(std::array<std::uint8_t, 20>{1, 2, 3});
  r.id = *core::RecordId::from_hex("00112233445566778899aabbccddeeff");
  std::array<std::uint8_t, 512> out{}, in{};
  const std::size_t size = codec::punch::encode_request(r, out);
  bool refused = r.header.connection_id != 0 &&
                 ::send(fd, out.data(), size, 0) == static_cast<ssize_t>(size) &&
                 ::recv(fd, in.data(), in.size(), 0) == 17 && in[3] == 3 &&  // action 3: error
                 std::memcmp(in.data() + 8, "not_found", 9) == 0;
  ::close(fd);
  return refused;
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

// A WebSocket handshake, then one announce (a masked text frame, key 0);
// the announce reply's JSON, or "" when none came.
std::string ws_announce(std::uint16_t port) {
  const int fd = connected(SOCK_STREAM, port);
  const std::string handshake =
      "GET /announce HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n";
  const std::string json =
      R"({"action":"announce","info_hash":"eeeeeeeeeeeeeeeeeeee",)"
      R"("peer_id":"-WS0001-abcdefghijkl","event":"started","left":0,"numwant":0})";
  std::string frame = {
      char(0x81), char(0x80 | 126), char(json.size() >> 8), char(json.size()), 0, 0, 0, 0};
  frame += json;
  std::string reply;
  if (::send(fd, handshake.data(), handshake.size(), 0) == static_cast<ssize_t>(handshake.size())) {
    char buf[2048];
    // The 101, then the reply frame: read until the frame's JSON is whole.
    while (reply.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      reply.append(buf, std::size_t(n));
    }
    if (reply.rfind("HTTP/1.1 101", 0) == 0) {
      reply.erase(0, reply.find("\r\n\r\n") + 4);
      ::send(fd, frame.data(), frame.size(), 0);
      while (reply.size() < 2 || reply.size() < 2 + std::size_t(std::uint8_t(reply[1]))) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        reply.append(buf, std::size_t(n));
      }
    }
  }
  ::close(fd);
  return reply.size() > 2 ? reply.substr(2) : "";
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
  config.admin_listen.clear();  // parallel tests must not meet on 127.0.0.1:6970
  Server server(config);
  server.start();
  const std::uint16_t port = server.listening().at(0).port;

  ASSERT_TRUE(udp_announce(port));
  ASSERT_EQ(http_announce(port), "HTTP/1.1 200 OK");
  ASSERT_EQ(stun_binding(port), 32);  // XOR-MAPPED-ADDRESS of IPv4 only: 1.6 times the request
  ASSERT_TRUE(punch_session_refused(port));
  const auto& m = server.metrics();
  // The HTTP counters are bumped before the reply is written, but read here
  // from another thread: wait until they show.
  for (int i = 0; i < 200 && value_of(m, "http_announces") == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));

  EXPECT_EQ(value_of(m, "udp_received"), 5u);
  EXPECT_EQ(value_of(m, "udp_connects"), 2u);
  EXPECT_EQ(value_of(m, "udp_announces"), 1u);
  EXPECT_EQ(value_of(m, "http_connections"), 1u);
  EXPECT_EQ(value_of(m, "http_requests"), 1u);
  EXPECT_EQ(value_of(m, "http_announces"), 1u);
  EXPECT_EQ(value_of(m, "udp_malformed"), 0u);
  EXPECT_EQ(value_of(m, "stun_requests"), 1u);
  EXPECT_EQ(value_of(m, "stun_answered"), 1u);
  EXPECT_EQ(value_of(m, "stun_unanswered"), 0u);
  EXPECT_EQ(value_of(m, "punch_sessions"), 0u);
  EXPECT_EQ(value_of(m, "punch_refused"), 1u);
  EXPECT_EQ(value_of(m, "store_torrents"), 2u);
  EXPECT_EQ(value_of(m, "store_peers"), 2u);
  EXPECT_EQ(value_of(m, "store_seeders"), 1u);  // the HTTP peer, left=0

  // The WebSocket tracker: its own block, the taken-over connection, and
  // its peers beside the store's.
  EXPECT_NE(ws_announce(port).find(R"("action":"announce")"), std::string::npos);
  for (int i = 0; i < 200 && value_of(m, "ws_announces") == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(value_of(m, "ws_connections"), 1u);
  EXPECT_EQ(value_of(m, "ws_messages"), 1u);
  EXPECT_EQ(value_of(m, "ws_announces"), 1u);
  EXPECT_EQ(value_of(m, "ws_refused"), 0u);
  EXPECT_EQ(value_of(m, "connections_taken_over"), 1u);

  // The labeled rows (server/labeled_metrics.cpp): the same requests by
  // protocol, kind and family.
  const auto requests = [&](const char* protocol, const char* kind, const char* family) {
    const std::vector<tracker::MetricLabel> labels = {
        {"protocol", protocol}, {"kind", kind}, {"family", family}};
    for (const auto& row : m.rows())
      if (row.name == "requests" && row.labels == labels) return row.value;
    ADD_FAILURE() << "no requests row for " << protocol << " " << kind << " " << family;
    return std::uint64_t{0};
  };
  EXPECT_EQ(requests("udp", "announce", "ipv4"), 1u);
  EXPECT_EQ(requests("udp", "connect", "ipv4"), 2u);
  EXPECT_EQ(requests("udp", "announce", "ipv6"), 0u);
  EXPECT_EQ(requests("http", "announce", "ipv4"), 1u);
  EXPECT_EQ(requests("ws", "announce", "ipv4"), 1u);

  std::set<std::pair<std::string, std::vector<tracker::MetricLabel>>> names;
  for (const auto& row : m.rows())
    EXPECT_TRUE(names.insert({row.name, row.labels}).second) << row.name;
  std::string text;
  m.write_prometheus(text);
  EXPECT_NE(text.find("\ncairn_udp_announces_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ncairn_stun_answered_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ncairn_punch_refused_total 1\n"), std::string::npos) << text;
  EXPECT_TRUE(server.stop());
}

}  // namespace
}  // namespace cairn::server
