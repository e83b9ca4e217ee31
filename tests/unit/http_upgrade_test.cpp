// Connections taken over after an HTTP/1.1 Upgrade, through real
// HttpListeners of two real workers on 127.0.0.1: a tiny line protocol
// ("test-echo") stands in for WebSocket. It echoes lines, relays
// "to WORKER SLOT GENERATION TEXT" to another connection through the
// worker's router, and logs how each connection ended.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "frontend/http_frontend.hpp"
#include "net/bind.hpp"
#include "net/http_listener.hpp"
#include "net/worker.hpp"

using namespace cairn;
using frontend::CloseReason;
using frontend::ConnectionId;
using namespace std::chrono_literals;

namespace {

// What the handlers saw, written on worker threads, read by the test.
struct Log {
  std::mutex mutex;
  std::vector<std::pair<ConnectionId, CloseReason>> closed;

  void close(ConnectionId id, CloseReason why) {
    std::lock_guard lock(mutex);
    closed.emplace_back(id, why);
  }
  // How `id` ended, waiting up to 10 s for it.
  std::optional<CloseReason> wait_closed(ConnectionId id) {
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(10ms)) {
      std::lock_guard lock(mutex);
      for (auto& [c, why] : closed)
        if (c == id) return why;
    }
    return std::nullopt;
  }
  std::size_t count(ConnectionId id) {
    std::lock_guard lock(mutex);
    return static_cast<std::size_t>(
        std::count_if(closed.begin(), closed.end(), [&](const auto& e) { return e.first == id; }));
  }
};

class Echo final : public frontend::ConnectionHandler {
 public:
  Echo(Log& log, frontend::ConnectionRouter& router) : log_(log), router_(router) {}

  void on_open(frontend::ConnectionSink& self, core::Seconds, std::string& out) override {
    self_ = self.id();
    out += "id " + std::to_string(self_.worker) + " " + std::to_string(self_.slot) + " " +
           std::to_string(self_.generation) + "\n";
  }
  frontend::InputResult on_input(std::span<char> bytes, core::Seconds, core::Millis,
                                 std::string& out) override {
    const std::string_view in(bytes.data(), bytes.size());
    std::size_t used = 0;
    for (auto end = in.find('\n'); end != std::string_view::npos; end = in.find('\n', used)) {
      const std::string_view line = in.substr(used, end - used);
      used = end + 1;
      if (line == "quit") {
        out += "bye\n";
        return {used, frontend::After::close};
      }
      if (line.starts_with("to ")) {
        std::istringstream words{std::string(line.substr(3))};
        ConnectionId to;
        std::string text;
        words >> to.worker >> to.slot >> to.generation >> text;
        out += router_.deliver(to, text + "\n") ? "sent\n" : "refused\n";
      } else {
        out += "echo: ";
        out += line;
        out += '\n';
      }
    }
    return {used, frontend::After::keep_open};
  }
  frontend::After on_tick(core::Seconds, std::string&) override {
    return frontend::After::keep_open;
  }
  void on_shutdown(std::string& out) override { out += "going away\n"; }
  void on_closed(CloseReason why) override { log_.close(self_, why); }

 private:
  Log& log_;
  frontend::ConnectionRouter& router_;
  ConnectionId self_;
};

struct EchoUpgrade final : frontend::UpgradeHandler {
  Log& log;
  frontend::ConnectionLimits limits;
  explicit EchoUpgrade(Log& l) : log(l) {}

  frontend::HttpResult upgrade(const codec::HttpRequest& request, const core::Address&,
                               const tracker::RequestContext& ctx,
                               std::string& out) const override {
    if (request.path != "/echo") {
      out += "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
      return frontend::HttpResult::keep_open_if(true);
    }
    out += "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test-echo\r\n\r\n";
    return frontend::HttpResult::take_over(std::make_unique<Echo>(log, *ctx.state.connections),
                                           limits);
  }
};

constexpr std::string_view kHandshake =
    "GET /echo HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: test-echo\r\n\r\n";

// A blocking client socket with a 5 s receive timeout.
struct Client {
  int fd = -1;
  std::string seen;  // everything read so far, consumed by read_until

  explicit Client(std::uint16_t port, int receive_buffer = 0) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ADD_FAILURE() << "connect";
  }
  ~Client() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  void send(std::string_view s) const {
    ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }
  // Everything up to and including `needle`, or "" on EOF or timeout.
  std::string read_until(std::string_view needle) {
    for (;;) {
      if (auto at = seen.find(needle); at != std::string::npos) {
        std::string got = seen.substr(0, at + needle.size());
        seen.erase(0, at + needle.size());
        return got;
      }
      char buf[4096];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return "";
      seen.append(buf, static_cast<std::size_t>(n));
    }
  }
  // True when the server closed (after whatever it sent first).
  bool closed_by_server() {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
      seen.append(buf, static_cast<std::size_t>(n));
    }
  }
  // Upgrades and returns the id the echo protocol greets with.
  ConnectionId upgrade() {
    send(kHandshake);
    EXPECT_TRUE(read_until("\r\n\r\n").starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    return parse_id(read_until("\n"));
  }
  static ConnectionId parse_id(const std::string& line) {
    ConnectionId id;
    std::istringstream words(line);
    std::string tag;
    words >> tag >> id.worker >> id.slot >> id.generation;
    EXPECT_EQ(tag, "id") << line;
    return id;
  }
};

std::string to_line(ConnectionId id, std::string_view text) {
  return "to " + std::to_string(id.worker) + " " + std::to_string(id.slot) + " " +
         std::to_string(id.generation) + " " + std::string(text) + "\n";
}

template <class F>
bool eventually(F f) {
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(10ms))
    if (f()) return true;
  return false;
}

struct HttpUpgradeTest : ::testing::Test {
  tracker::AccessList access{tracker::AccessMode::off, {}};
  frontend::HttpHealth health;
  frontend::HttpRouter router{{}};
  Log log;
  EchoUpgrade echo{log};
  clock::CoarseClock clock;
  std::atomic<bool> ticking{true};
  std::thread ticker{[this] {
    while (ticking) {
      clock.tick();
      std::this_thread::sleep_for(50ms);
    }
  }};
  std::unique_ptr<net::ConnectionBudget> budget;
  std::vector<std::unique_ptr<net::Worker>> workers;
  std::vector<std::uint16_t> ports;

  // Two workers, each with one listener on its own port.
  void start(std::size_t max_connections = 100) {
    router.add({"/health", frontend::HttpRoute::Match::exact,
                frontend::HttpRoute::Methods::get_or_head, frontend::HttpRoute::Limit::unlimited,
                &health, "/health"});
    router.add_upgrade("test-echo", echo);  // as server/frontends.cpp would register it
    budget = std::make_unique<net::ConnectionBudget>(max_connections);
    for (std::uint32_t i = 0; i < 2; ++i)
      workers.push_back(
          std::make_unique<net::Worker>(i, i + 1, tracker::RateLimitConfig{}, access));
    net::connect_registries(workers);
    for (auto& w : workers) {
      auto acceptor = net::bind_tcp(w->io(), *core::Endpoint::parse("127.0.0.1:0"));
      ports.push_back(acceptor.local_endpoint().port());
      w->add(std::make_unique<net::HttpListener>(std::move(acceptor), router, clock, w->state(),
                                                 net::HttpConnectionLimits{}, *budget,
                                                 w->registry()));
      w->start();
    }
  }
  ~HttpUpgradeTest() override {
    for (auto& w : workers) w->stop();
    ticking = false;
    ticker.join();
  }
  const frontend::WorkerCounters& counters(std::size_t w) const { return workers[w]->counters(); }
  // Runs `f` on worker `w`'s thread and returns its result.
  template <class F>
  auto on_worker(std::size_t w, F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(workers[w]->io(), [&task] { task(); });
    return result.get();
  }
};

}  // namespace

TEST_F(HttpUpgradeTest, TheHandlerGetsTheConnectionAndTheBytesSentAfterTheRequest) {
  start();
  Client c(ports[0]);
  c.send(std::string(kHandshake) + "hello\n");  // one segment: the request, then the protocol's
  EXPECT_TRUE(c.read_until("\r\n\r\n").starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
  const ConnectionId id = Client::parse_id(c.read_until("\n"));
  EXPECT_EQ(id.worker, 0u);
  EXPECT_EQ(c.read_until("\n"), "echo: hello\n");
  c.send("again\n");
  EXPECT_EQ(c.read_until("\n"), "echo: again\n");
  EXPECT_EQ(counters(0).connections.taken_over.load(), 1u);
  EXPECT_EQ(on_worker(0, [&] { return workers[0]->registry().size(); }), 1u);
}

TEST_F(HttpUpgradeTest, PlainHttpIsServedAsBeforeAndAnUnknownUpgradeIsAPlainRequest) {
  start();
  Client c(ports[0]);
  c.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_TRUE(c.read_until("ok").starts_with("HTTP/1.1 200 OK\r\n"));
  // A protocol nobody registered: the path is routed as any request is.
  c.send("GET /echo HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: other\r\n\r\n");
  EXPECT_TRUE(c.read_until("serves /health").starts_with("HTTP/1.1 404 Not Found\r\n"));
  // The registered protocol declines a path it does not serve.
  c.send("GET /nope HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: Test-Echo\r\n\r\n");
  EXPECT_TRUE(c.read_until("\r\n\r\n").starts_with("HTTP/1.1 404 Not Found\r\n"));
  // A keep-alive connection may still switch later.
  c.upgrade();
  c.send("x\n");
  EXPECT_EQ(c.read_until("\n"), "echo: x\n");
  EXPECT_EQ(counters(0).http.requests.load(), 4u);
  EXPECT_EQ(counters(0).connections.taken_over.load(), 1u);
}

TEST_F(HttpUpgradeTest, TheServerWritesToATakenOverConnectionLater) {
  start();
  Client c(ports[1]);
  const ConnectionId id = c.upgrade();
  EXPECT_EQ(id.worker, 1u);
  EXPECT_TRUE(on_worker(1, [&] { return workers[1]->registry().deliver(id, "pushed\n"); }));
  EXPECT_EQ(c.read_until("\n"), "pushed\n");
}

TEST_F(HttpUpgradeTest, AMessageCrossesWorkersAndOneForAClosedConnectionIsDroppedAndCounted) {
  start();
  Client a(ports[0]), b(ports[1]);
  a.upgrade();
  const ConnectionId to_b = b.upgrade();
  a.send(to_line(to_b, "hi-there"));
  EXPECT_EQ(a.read_until("\n"), "sent\n");
  EXPECT_EQ(b.read_until("\n"), "hi-there\n");

  b.close();
  EXPECT_EQ(log.wait_closed(to_b), CloseReason::peer_closed);
  a.send(to_line(to_b, "too-late"));
  EXPECT_EQ(a.read_until("\n"), "sent\n");  // posted: only worker 1 knows
  EXPECT_TRUE(eventually([&] { return counters(1).connections.deliveries_dropped.load() == 1; }));
  EXPECT_EQ(counters(0).connections.deliveries_dropped.load(), 0u);
  EXPECT_EQ(log.count(to_b), 1u);  // told once
}

TEST_F(HttpUpgradeTest, AConnectionOnAReusedDescriptorDoesNotGetTheOldOnesMessages) {
  start();
  Client a(ports[0]);
  a.upgrade();
  auto old_client = std::make_unique<Client>(ports[1]);
  const ConnectionId old_id = old_client->upgrade();
  old_client.reset();
  ASSERT_EQ(log.wait_closed(old_id), CloseReason::peer_closed);
  ASSERT_TRUE(eventually([&] { return budget->open() == 1; }));  // its descriptor is closed
  Client fresh(ports[1]);
  const ConnectionId new_id = fresh.upgrade();
  ASSERT_EQ(new_id.slot, old_id.slot);  // the kernel reuses the lowest free descriptor
  EXPECT_NE(new_id.generation, old_id.generation);

  a.send(to_line(old_id, "stale"));
  a.send(to_line(new_id, "fresh"));
  EXPECT_EQ(fresh.read_until("\n"), "fresh\n");  // and not "stale" before it
  EXPECT_EQ(counters(1).connections.deliveries_dropped.load(), 1u);
}

TEST_F(HttpUpgradeTest, ASlowReaderIsRefusedPastTheBoundThenDropped) {
  echo.limits.max_out = 64 * 1024;
  echo.limits.send_timeout = 1;
  start();
  Client c(ports[0], 4096);
  const ConnectionId id = c.upgrade();
  const std::string chunk(16 * 1024, 'x');
  // Until the kernel's buffers and then the connection's queue are full.
  const int accepted = on_worker(0, [&] {
    int n = 0;
    while (n < 100'000 && workers[0]->registry().deliver(id, chunk)) ++n;
    return n;
  });
  EXPECT_LT(accepted, 100'000);
  EXPECT_EQ(counters(0).connections.deliveries_dropped.load(), 1u);
  EXPECT_EQ(log.wait_closed(id), CloseReason::slow_reader);
  EXPECT_EQ(counters(0).connections.slow_readers.load(), 1u);
  EXPECT_FALSE(on_worker(0, [&] { return workers[0]->registry().deliver(id, "late"); }));
}

TEST_F(HttpUpgradeTest, TheConnectionBudgetCountsTakenOverConnections) {
  start(1);
  Client a(ports[0]);
  const ConnectionId id = a.upgrade();
  Client refused(ports[1]);
  EXPECT_TRUE(refused.closed_by_server());
  EXPECT_EQ(counters(1).http.connections_refused.load(), 1u);
  a.send("quit\n");
  EXPECT_EQ(a.read_until("\n"), "bye\n");
  EXPECT_TRUE(a.closed_by_server());
  EXPECT_EQ(log.wait_closed(id), CloseReason::handler_closed);
  ASSERT_TRUE(eventually([&] { return budget->open() == 0; }));
  Client again(ports[1]);  // its slot in the budget is free again
  again.upgrade();
  again.send("y\n");
  EXPECT_EQ(again.read_until("\n"), "echo: y\n");
}

TEST_F(HttpUpgradeTest, ASilentConnectionIsClosedAfterItsProtocolsIdleTimeout) {
  echo.limits.idle_timeout = 1;
  start();
  Client c(ports[0]);
  const ConnectionId id = c.upgrade();
  EXPECT_EQ(log.wait_closed(id), CloseReason::idle);
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(counters(0).connections.idle_timeouts.load(), 1u);
}

TEST_F(HttpUpgradeTest, InputTheHandlerCannotConsumePastItsLimitCloses) {
  echo.limits.max_input = 32;
  start();
  Client c(ports[0]);
  const ConnectionId id = c.upgrade();
  c.send(std::string(100, 'z'));  // no end of line: never consumed
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(log.wait_closed(id), CloseReason::oversized_input);
}

TEST_F(HttpUpgradeTest, AtShutdownTheHandlerHasALastWord) {
  start();
  Client c(ports[0]);
  const ConnectionId id = c.upgrade();
  workers[0]->close();
  EXPECT_EQ(c.read_until("\n"), "going away\n");
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(log.wait_closed(id), CloseReason::shutdown);
}

// The router alone: an upgrade request passes the admission step like any
// other, and one over the limit gets a plain 429, connection kept.
TEST(HttpRouterUpgrade, AnUpgradeOverTheRateLimitIsRefusedWithRetryAfter) {
  Log log;
  EchoUpgrade echo{log};
  frontend::HttpRouter router{{}};
  router.add_upgrade("test-echo", echo);
  tracker::AccessList access{tracker::AccessMode::off, {}};
  tracker::RateLimitConfig limit;
  limit.per_second = 1;
  limit.burst = 1;
  frontend::WorkerState state{1, limit, access};
  codec::HttpRequest r;
  r.path = "/echo";
  r.connection_upgrade = true;
  r.upgrade = "test-echo";
  r.keep_alive = true;
  const tracker::RequestContext ctx{100, 100'000, *core::Endpoint::parse("192.0.2.7:4000"), state};
  struct NoRouter final : frontend::ConnectionRouter {
    bool deliver(const ConnectionId&, std::string_view) override { return false; }
    std::uint32_t worker() const override { return 0; }
  } no_router;
  state.connections = &no_router;  // the echo handler keeps one
  std::string out;
  EXPECT_EQ(router.handle(r, ctx, out).next, frontend::HttpResult::Next::take_over);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 101 Switching Protocols\r\n")) << out;
  out.clear();
  EXPECT_EQ(router.handle(r, ctx, out).next, frontend::HttpResult::Next::keep_open);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 429 Too Many Requests\r\n")) << out;
  EXPECT_NE(out.find("Retry-After: "), std::string::npos) << out;
  EXPECT_EQ(state.counters.http.rate_limited.load(), 1u);
}

TEST(AsksUpgradeTo, NeedsConnectionUpgradeHttp11AndTheProductAmongTheTokens) {
  codec::HttpRequest r;
  r.connection_upgrade = true;
  r.upgrade = "h2c, WebSocket/13 ,test-echo";
  EXPECT_TRUE(frontend::asks_upgrade_to(r, "websocket"));
  EXPECT_TRUE(frontend::asks_upgrade_to(r, "test-echo"));
  EXPECT_TRUE(frontend::asks_upgrade_to(r, "H2C"));
  EXPECT_FALSE(frontend::asks_upgrade_to(r, "test"));
  EXPECT_FALSE(frontend::asks_upgrade_to(r, ""));
  r.connection_upgrade = false;  // Upgrade not named in Connection: ignored (RFC 9110 7.8)
  EXPECT_FALSE(frontend::asks_upgrade_to(r, "websocket"));
  r.connection_upgrade = true;
  r.version_minor = 0;  // HTTP/1.0 has no Upgrade
  EXPECT_FALSE(frontend::asks_upgrade_to(r, "websocket"));
}
