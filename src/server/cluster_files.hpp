#pragma once
// The files a node of a Cairn cluster reads at start: the connection id
// secrets every node shares (udp.connection_id_secret_file) and the Redis
// password (store.redis_password_file); and the cluster client made from
// the [store] section.
#include <memory>
#include <string>
#include <vector>

#include "redis/cluster_client.hpp"
#include "store/store_factory.hpp"
#include "tracker/connection_ids.hpp"

namespace cairn::server {

// One secret a line, 32 hex digits; blank lines and # comments skipped.
// Throws std::runtime_error "FILE:LINE: reason", or naming the file when it
// cannot be read or holds no secret.
std::vector<tracker::ConnectionIds::Secret> read_connection_id_secrets(const std::string& path);

// The file's first line, without its line end. Throws std::runtime_error
// naming the file when it cannot be read or the line is empty.
std::string read_password(const std::string& path);

// The cluster client for store.backend "redis", or nullptr for another
// backend. Throws std::runtime_error, naming every seed and why, if none
// answers.
std::unique_ptr<redis::ClusterClient> make_cluster_client(const store::StoreConfig& config);

}  // namespace cairn::server
