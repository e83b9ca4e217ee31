#pragma once
// The cluster client as the `[store]` section describes it: the seed
// nodes, the ACL user and password (store.redis_password_file), the time
// bound of one exchange. The store factory calls it for store.backend
// "redis"; nothing else needs to know the client exists.
#include <memory>
#include <string>

#include "redis/cluster_client.hpp"
#include "store/store_factory.hpp"

namespace cairn::redis {

// The file's first line, without its line end. Throws std::runtime_error
// naming the file when it cannot be read or the line is empty.
std::string read_password(const std::string& path);

// Throws std::runtime_error saying what is missing or wrong in the
// section, or naming every seed and why, if none answers.
std::shared_ptr<ClusterClient> make_cluster_client(const store::StoreConfig& config);

}  // namespace cairn::redis
