#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/config.hpp"
#include "support/temp_path.hpp"

using namespace cairn::server;

namespace {

// A TOML file in the test's temp dir, removed when the test ends.
class TempConfig {
 public:
  explicit TempConfig(const std::string& text) : path_(cairn::test::temp_path(".toml")) {
    std::ofstream(path_) << text;
  }
  ~TempConfig() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// An empty file at `path`, removed when the test ends.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) { std::ofstream{path_}; }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string load_error(const std::string& text) {
  TempConfig file(text);
  try {
    load_config(file.path());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, DefaultTextLoadsBackToDefaults) {
  TempConfig file(default_config_text());
  Config loaded = load_config(file.path());
  Config defaults;
  EXPECT_EQ(loaded.listen, defaults.listen);
  EXPECT_EQ(loaded.policy.announce_interval, defaults.policy.announce_interval);
  EXPECT_EQ(loaded.limits.peer_ttl, defaults.limits.peer_ttl);
  EXPECT_EQ(loaded.http.head.max_head, defaults.http.head.max_head);
}

TEST(Config, EveryKeyHasAComment) {
  std::istringstream text(default_config_text());
  std::string line, previous;
  std::size_t keys = 0;
  while (std::getline(text, line)) {
    if (line.find(" = ") != std::string::npos && line[0] != '#') {
      ++keys;
      EXPECT_EQ(previous.rfind("# ", 0), 0u) << "no comment above: " << line;
    }
    previous = line;
  }
  EXPECT_GE(keys, 15u);
}

TEST(Config, ReadsValues) {
  TempConfig file(
      "[server]\nlisten = [\"127.0.0.1:0\", \"[::1]:7000\"]\nworkers = 3\n"
      "[tracker]\nannounce_interval = 600\nmin_interval = 60\npeer_ttl = 900\n"
      "[http]\ntrusted_proxies = [\"10.0.0.0/8\"]\n");
  Config c = load_config(file.path());
  ASSERT_EQ(c.listen.size(), 2u);
  EXPECT_EQ(c.listen[1].to_string(), "[::1]:7000");
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.policy.announce_interval, 600u);
  ASSERT_EQ(c.trusted_proxies.size(), 1u);
  EXPECT_EQ(c.trusted_proxies[0].prefix, 8);
}

TEST(Config, UnknownKeyNamesKeyAndLine) {
  auto error = load_error("[tracker]\nannounce_interval = 600\nbogus = 1\n");
  EXPECT_NE(error.find(":3:"), std::string::npos) << error;
  EXPECT_NE(error.find("tracker.bogus"), std::string::npos) << error;
}

TEST(Config, UnknownSectionRejected) {
  EXPECT_NE(load_error("[nope]\nx = 1\n").find("unknown key 'nope.x'"), std::string::npos);
  EXPECT_NE(load_error("loose = 1\n").find("unknown key 'loose'"), std::string::npos);
}

TEST(Config, BadValuesNameKeyAndLine) {
  auto error = load_error("[tracker]\n\nnumwant_max = -5\n");
  EXPECT_NE(error.find(":3:"), std::string::npos) << error;
  EXPECT_NE(error.find("tracker.numwant_max"), std::string::npos) << error;
  EXPECT_NE(load_error("[server]\nlisten = [\"nowhere\"]\n").find("server.listen"),
            std::string::npos);
  EXPECT_NE(load_error("[server]\nworkers = \"two\"\n").find("server.workers"), std::string::npos);
  EXPECT_NE(
      load_error("[http]\ntrusted_proxies = [\"10.0.0.0/99\"]\n").find("http.trusted_proxies"),
      std::string::npos);
  EXPECT_NE(load_error("[tracker]\nallow_client_ip = 1\n").find("tracker.allow_client_ip"),
            std::string::npos);
}

TEST(Config, StoreBackend) {
  EXPECT_EQ(Config{}.store.backend, "memory");
  TempConfig file("[store]\nbackend = \"memory\"\n");
  EXPECT_EQ(load_config(file.path()).store.backend, "memory");
  auto error = load_error("[store]\n\nbackend = \"redis-typo\"\n");
  EXPECT_NE(error.find(":3: store.backend must be one of \"memory\", \"redis\""), std::string::npos)
      << error;
  error = load_error("[store]\nbackend = 1\n");
  EXPECT_NE(error.find(":2: store.backend must be one of \"memory\""), std::string::npos) << error;
}

TEST(Config, RedisStore) {
  TempConfig file(
      "[store]\nbackend = \"redis\"\nredis_nodes = [\"127.0.0.1:7000\", \"[::1]:7001\"]\n"
      "redis_user = \"cairn\"\nredis_password_file = \"pw\"\nredis_namespace = \"t-1.x_y\"\n"
      "redis_timeout_ms = 250\n[udp]\nconnection_id_secret_file = \"ids\"\n");
  const auto folder = file.path().substr(0, file.path().rfind('/') + 1);
  const Config c = load_config(file.path());
  EXPECT_EQ(c.store.backend, "redis");
  EXPECT_EQ(c.store.redis_nodes, (std::vector<std::string>{"127.0.0.1:7000", "[::1]:7001"}));
  EXPECT_EQ(c.store.redis_user, "cairn");
  EXPECT_EQ(c.store.redis_password_file, folder + "pw");
  EXPECT_EQ(c.store.redis_namespace, "t-1.x_y");
  EXPECT_EQ(c.store.redis_timeout_ms, 250u);
  EXPECT_EQ(c.connection_id_secret_file, folder + "ids");

  auto error = load_error("[store]\nbackend = \"redis\"\n");
  EXPECT_NE(error.find(":2: store.backend \"redis\" needs store.redis_nodes"), std::string::npos)
      << error;
  error = load_error("[store]\nredis_nodes = [\"127.0.0.1:7000\"]\n");
  EXPECT_NE(error.find(":2: store.redis_nodes is set, but store.backend is \"memory\""),
            std::string::npos)
      << error;
  error = load_error("[store]\nbackend = \"redis\"\nredis_nodes = [\"127.0.0.1\"]\n");
  EXPECT_NE(error.find(":3: store.redis_nodes \"127.0.0.1\" is not HOST:PORT"), std::string::npos)
      << error;
  // Braces would be a hash tag and move the keys to other slots.
  error = load_error("[store]\nredis_namespace = \"a{b}\"\n");
  EXPECT_NE(error.find(":2: store.redis_namespace must be 1 to 64 letters"), std::string::npos)
      << error;
}

TEST(Config, RedisTls) {
  TempConfig file(
      "[store]\nbackend = \"redis\"\nredis_nodes = [\"127.0.0.1:7000\"]\nredis_tls = true\n"
      "redis_ca_file = \"ca.pem\"\nredis_cert_file = \"c.pem\"\nredis_key_file = \"k.pem\"\n");
  const auto folder = file.path().substr(0, file.path().rfind('/') + 1);
  const Config c = load_config(file.path());
  EXPECT_TRUE(c.store.redis_tls);
  EXPECT_EQ(c.store.redis_ca_file, folder + "ca.pem");
  EXPECT_EQ(c.store.redis_cert_file, folder + "c.pem");
  EXPECT_EQ(c.store.redis_key_file, folder + "k.pem");

  auto error = load_error("[store]\nredis_ca_file = \"ca.pem\"\n");
  EXPECT_NE(error.find(":2: store.redis_ca_file, redis_cert_file and redis_key_file are for TLS "
                       "to Redis, but store.redis_tls is false"),
            std::string::npos)
      << error;
  error = load_error("[store]\nredis_tls = true\nredis_cert_file = \"c.pem\"\n");
  EXPECT_NE(error.find(":3: store.redis_cert_file and store.redis_key_file go together"),
            std::string::npos)
      << error;
}

TEST(Config, CrossKeyRules) {
  EXPECT_NE(load_error("[tracker]\nannounce_interval = 600\nmin_interval = 60\npeer_ttl = 300\n")
                .find("peer_ttl"),
            std::string::npos);
  EXPECT_NE(load_error("[tracker]\nmin_interval = 2000\n").find("min_interval"), std::string::npos);
}

// Like a bad value, a rule between keys names the file, the line and the
// key: the line of the key it names first, or of the other one when only
// that one is in the file (the line the operator changed).
TEST(Config, CrossKeyErrorsNameLineAndKey) {
  EXPECT_EQ(load_error(""), "") << "the defaults are consistent";
  auto error = load_error("[tracker]\n\nmin_interval = 2000\n");
  EXPECT_NE(error.find(".toml:3: tracker.min_interval (2000) must not exceed "
                       "tracker.announce_interval (1800)"),
            std::string::npos)
      << error;
  error = load_error("[tracker]\nannounce_interval = 100\npeer_ttl = 100\n");
  EXPECT_NE(error.find(".toml:2: tracker.min_interval (900) must not exceed "
                       "tracker.announce_interval (100)"),
            std::string::npos)
      << error;
  error = load_error("[tracker]\nannounce_interval = 600\nmin_interval = 60\npeer_ttl = 300\n");
  EXPECT_NE(error.find(".toml:4: tracker.peer_ttl (300) must be at least"), std::string::npos)
      << error;
  error = load_error("[tracker]\nnumwant_max = 10\n");
  EXPECT_NE(error.find(".toml:2: tracker.numwant_default (50) must not exceed"), std::string::npos)
      << error;
  error = load_error("[http]\nmax_head = 1024\nmax_request_line = 2048\n");
  EXPECT_NE(
      error.find(".toml:3: http.max_request_line (2048) must not exceed http.max_head (1024)"),
      std::string::npos)
      << error;
  error = load_error("[rendezvous]\nmax_ttl = 300\n");
  EXPECT_NE(error.find(".toml:2: rendezvous.default_ttl (600) must lie between"), std::string::npos)
      << error;
  error = load_error("[server]\nlisten = []\n");
  EXPECT_NE(error.find(".toml:2: server.listen needs at least one address"), std::string::npos)
      << error;
}

TEST(Config, SyntaxErrorNamesLine) {
  auto error = load_error("[tracker]\nannounce_interval = = 1\n");
  EXPECT_NE(error.find(":2:"), std::string::npos) << error;
}

TEST(Config, RateLimitDefaultsAndValues) {
  Config defaults;
  EXPECT_GT(defaults.rate_limit.per_second, 0u) << "on by default";
  EXPECT_GE(defaults.rate_limit.burst, defaults.rate_limit.per_second);
  ASSERT_EQ(defaults.rate_limit.trusted.size(), 2u);  // loopback v4 and v6
  TempConfig file(
      "[rate_limit]\nrequests_per_second = 0\nburst = 7\ntable_size = 2048\n"
      "trusted_networks = [\"192.0.2.0/24\"]\n");
  Config c = load_config(file.path());
  EXPECT_EQ(c.rate_limit.per_second, 0u);
  EXPECT_EQ(c.rate_limit.burst, 7u);
  EXPECT_EQ(c.rate_limit.slots, 2048u);
  ASSERT_EQ(c.rate_limit.trusted.size(), 1u);
  EXPECT_NE(load_error("[rate_limit]\nburst = 0\n").find("rate_limit.burst"), std::string::npos);
  EXPECT_NE(load_error("[rate_limit]\ntable_size = 10\n").find("rate_limit.table_size"),
            std::string::npos);
}

TEST(Config, AccessListPathIsBesideTheConfig) {
  TempConfig file("[tracker]\naccess_mode = \"whitelist\"\naccess_list = \"hashes.txt\"\n");
  auto folder = file.path().substr(0, file.path().rfind('/') + 1);
  TempFile list(folder + "hashes.txt");
  Config c = load_config(file.path());
  EXPECT_EQ(c.access_mode, cairn::tracker::AccessMode::whitelist);
  EXPECT_EQ(c.access_list, folder + "hashes.txt");
  TempConfig absolute("[tracker]\naccess_mode = \"blacklist\"\naccess_list = \"" + list.path() +
                      "\"\n");
  EXPECT_EQ(load_config(absolute.path()).access_list, list.path());
}

TEST(Config, AccessModeRules) {
  EXPECT_NE(load_error("[tracker]\naccess_mode = \"allow\"\n").find("tracker.access_mode"),
            std::string::npos);
  auto error = load_error("[tracker]\n\naccess_mode = \"whitelist\"\n");
  EXPECT_NE(error.find(".toml:3: tracker.access_mode \"whitelist\" needs tracker.access_list"),
            std::string::npos)
      << error;
  error = load_error("[tracker]\naccess_list = \"x.txt\"\n");
  EXPECT_NE(error.find(".toml:2: tracker.access_list is set, but tracker.access_mode is \"off\""),
            std::string::npos)
      << error;
  EXPECT_NE(load_error("[tracker]\naccess_list = 5\n").find("must be a string"), std::string::npos);
}

// The list is read at start; a missing one is reported against its key.
TEST(Config, UnreadableAccessListNamesLineAndKey) {
  auto error = load_error("[tracker]\naccess_mode = \"whitelist\"\naccess_list = \"absent.txt\"\n");
  EXPECT_NE(error.find(".toml:3: tracker.access_list \""), std::string::npos) << error;
  EXPECT_NE(error.find("absent.txt\" cannot be read: No such file or directory"), std::string::npos)
      << error;
  error = load_error("[tracker]\naccess_mode = \"whitelist\"\naccess_list = \"/\"\n");
  EXPECT_NE(error.find(".toml:3: tracker.access_list \"/\" cannot be read: is a folder"),
            std::string::npos)
      << error;
}

TEST(Config, RendezvousSwitchAndTopicAccess) {
  Config defaults;
  EXPECT_TRUE(defaults.rendezvous.enabled);
  EXPECT_EQ(defaults.rendezvous.access, cairn::tracker::TopicAccess::open);
  TempConfig off("[rendezvous]\nenabled = false\n");
  EXPECT_FALSE(load_config(off.path()).rendezvous.enabled);

  TempConfig file(
      "[tracker]\naccess_mode = \"whitelist\"\naccess_list = \"list.txt\"\n"
      "[rendezvous]\naccess = \"access_list\"\n");
  TempFile list(file.path().substr(0, file.path().rfind('/') + 1) + "list.txt");
  EXPECT_EQ(load_config(file.path()).rendezvous.access, cairn::tracker::TopicAccess::access_list);

  auto error = load_error("[rendezvous]\naccess = \"whitelist\"\n");
  EXPECT_NE(error.find(".toml:2: rendezvous.access must be one of open, access_list"),
            std::string::npos)
      << error;
  error = load_error("[rendezvous]\n\naccess = \"access_list\"\n");
  EXPECT_NE(error.find(".toml:3: rendezvous.access \"access_list\" needs tracker.access_mode"),
            std::string::npos)
      << error;
  EXPECT_NE(load_error("[rendezvous]\nenabled = \"no\"\n").find("rendezvous.enabled must be true"),
            std::string::npos);
}

TEST(Config, ConnectionIdSlot) {
  EXPECT_EQ(Config{}.connection_id_slot, 120u) << "BEP 15's two minutes unless configured";
  TempConfig file("[udp]\nconnection_id_slot = 1\n");
  EXPECT_EQ(load_config(file.path()).connection_id_slot, 1u);
  for (auto bad : {"0", "3601", "-1", "\"2\""})
    EXPECT_NE(load_error(std::string("[udp]\nconnection_id_slot = ") + bad + "\n")
                  .find("udp.connection_id_slot must be an integer from 1 to 3600"),
              std::string::npos)
        << bad;
}

TEST(Config, DhtIsOffByDefaultAndReadsItsKeys) {
  Config defaults;
  EXPECT_TRUE(defaults.dht_listen.empty());
  EXPECT_TRUE(defaults.dht.bridge);
  EXPECT_EQ(defaults.dht.verify_delay, 900u);
  TempConfig file(
      "[dht]\nlisten = [\"127.0.0.1:0\", \"[::1]:6881\"]\nbridge = false\nexternal_ip = "
      "\"203.0.113.5\"\nverify_delay = 2\nverify_queue = 100\nmax_nodes = 64\nnodes_per_reply = "
      "16\nhandouts_per_minute = 0\n");
  Config c = load_config(file.path());
  ASSERT_EQ(c.dht_listen.size(), 2u);
  EXPECT_EQ(c.dht_listen[1].to_string(), "[::1]:6881");
  EXPECT_FALSE(c.dht.bridge);
  EXPECT_EQ(c.dht_external_ip, "203.0.113.5");
  EXPECT_EQ(c.dht.verify_delay, 2u);
  EXPECT_EQ(c.dht.verify_queue, 100u);
  EXPECT_EQ(c.dht.max_nodes, 64u);
  EXPECT_EQ(c.dht.nodes_per_reply, 16u);
  EXPECT_EQ(c.dht.handouts_per_minute, 0u);
}

TEST(Config, DhtBadValuesNameKeyAndLine) {
  auto error = load_error("[dht]\nnodes_per_reply = 20\n");
  EXPECT_NE(error.find(":2: dht.nodes_per_reply must be an integer from 8 to 16"),
            std::string::npos)
      << error;
  error = load_error("[dht]\nlisten = [\"localhost\"]\n");
  EXPECT_NE(error.find(":2: dht.listen \"localhost\" is not an address:port"), std::string::npos)
      << error;
  error = load_error("[dht]\n\nexternal_ip = \"somewhere\"\n");
  EXPECT_NE(error.find(":3: dht.external_ip \"somewhere\" is not an IP address"), std::string::npos)
      << error;
}
