#include "server/access_list_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cairn::server {

tracker::InfoHashSet read_access_list(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw std::runtime_error(
        fmt::format("{}: cannot read access list: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw std::runtime_error(fmt::format("{}: cannot read access list", path));
  auto hashes = tracker::parse_access_list(text.view());
  if (!hashes) {
    const auto& e = hashes.error();
    throw std::runtime_error(fmt::format("{}:{}: {}", path, e.line, e.reason));
  }
  return std::move(*hashes);
}

}  // namespace cairn::server
