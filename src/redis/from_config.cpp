#include "redis/from_config.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <stdexcept>

namespace cairn::redis {

std::string read_password(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error(fmt::format("store.redis_password_file \"{}\" cannot be read", path));
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty())
    throw std::runtime_error(fmt::format(
        "store.redis_password_file \"{}\" is empty (expected the password on its first line)",
        path));
  return line;
}

std::shared_ptr<ClusterClient> make_cluster_client(const store::StoreConfig& config) {
  ClusterOptions o;
  for (const std::string& text : config.redis_nodes) {
    auto node = store::redis::NodeAddress::parse(text, "");
    if (!node) throw std::runtime_error(fmt::format("Redis node \"{}\" is not HOST:PORT", text));
    o.seeds.push_back(*node);
  }
  if (o.seeds.empty())
    throw std::runtime_error(
        "store.backend \"redis\" needs store.redis_nodes (or --redis HOST:PORT,...)");
  o.credentials.user = config.redis_user;
  if (!config.redis_password_file.empty())
    o.credentials.password = read_password(config.redis_password_file);
  o.timeout = std::chrono::milliseconds(config.redis_timeout_ms);
  if (config.redis_tls)
    o.tls = std::make_shared<const TlsClient>(
        TlsOptions{config.redis_ca_file, config.redis_cert_file, config.redis_key_file});
  auto client = std::make_shared<ClusterClient>(std::move(o));
  spdlog::info("store: Redis Cluster, {} masters, namespace \"{}\"{}", client->masters().size(),
               config.redis_namespace, config.redis_tls ? ", over TLS" : "");
  return client;
}

}  // namespace cairn::redis
