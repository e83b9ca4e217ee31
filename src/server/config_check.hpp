#pragma once
// `cairn serve --check-config`: beyond what load_config() checks (syntax,
// keys, values, keys against each other), reads every file the
// configuration names as the server would at start: the TLS certificate
// and key (loaded as a pair), the connection id secrets, the access list,
// the Redis password file; and that the state file's folder takes new
// files. Binds nothing and contacts nothing.
#include "server/config.hpp"

namespace cairn::server {

// Throws std::runtime_error naming the key, the file and what is wrong.
void check_config_files(const Config& config);

}  // namespace cairn::server
