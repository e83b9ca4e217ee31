#pragma once
// The file a node of a Cairn cluster reads at start: the connection id
// secrets every node shares (udp.connection_id_secret_file). The Redis
// password file is the store factory's (redis/from_config.hpp).
#include <string>
#include <vector>

#include "tracker/connection_ids.hpp"

namespace cairn::server {

// One secret a line, 32 hex digits; blank lines and # comments skipped.
// Throws std::runtime_error "FILE:LINE: reason", or naming the file when it
// cannot be read or holds no secret.
std::vector<tracker::ConnectionIds::Secret> read_connection_id_secrets(const std::string& path);

}  // namespace cairn::server
