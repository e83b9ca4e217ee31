#include "server/test_sweep.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cairn::server {

std::optional<core::Seconds> parse_sweep_ahead(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  core::Seconds ahead = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ahead);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (ahead > kMaxSweepAhead) return std::nullopt;
  return ahead;
}

TestSweepFile TestSweepFile::from_environment() {
  const char* path = std::getenv(kTestSweepVariable);
  return TestSweepFile(path ? path : "");
}

bool TestSweepFile::poll(const std::function<void(core::Seconds ahead)>& sweep) const {
  if (!active()) return false;
  std::ifstream file(path_, std::ios::binary);
  if (!file) return false;  // no request waiting
  std::ostringstream text;
  text << file.rdbuf();
  file.close();
  if (auto ahead = parse_sweep_ahead(text.view()))
    sweep(*ahead);
  else
    spdlog::error("{} {}: expected a whole number of seconds from 0 to {}, got \"{}\"",
                  kTestSweepVariable, path_, kMaxSweepAhead, text.view().substr(0, 40));
  std::remove(path_.c_str());
  return true;
}

}  // namespace cairn::server
