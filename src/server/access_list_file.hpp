#pragma once
// Reading an access-list file: the I/O around tracker::parse_access_list.
#include <string>

#include "tracker/access_list.hpp"

namespace cairn::server {

// Throws std::runtime_error "FILE:LINE: reason" for a bad line, or naming
// the file when it cannot be read.
tracker::InfoHashSet read_access_list(const std::string& path);

}  // namespace cairn::server
