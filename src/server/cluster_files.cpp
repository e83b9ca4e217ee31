#include "server/cluster_files.hpp"

#include <fmt/format.h>

#include <cctype>
#include <fstream>
#include <stdexcept>

namespace cairn::server {

namespace {

std::ifstream open_or_throw(const std::string& path, std::string_view key) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{} \"{}\" cannot be read", key, path));
  return in;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string trimmed(const std::string& line) {
  const auto first = line.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
}

}  // namespace

std::vector<tracker::ConnectionIds::Secret> read_connection_id_secrets(const std::string& path) {
  std::ifstream in = open_or_throw(path, "udp.connection_id_secret_file");
  std::vector<tracker::ConnectionIds::Secret> secrets;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string text = trimmed(line);
    if (text.empty() || text[0] == '#') continue;
    tracker::ConnectionIds::Secret s{};
    bool ok = text.size() == 2 * s.size();
    for (std::size_t i = 0; ok && i < s.size(); ++i) {
      const int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
      ok = hi >= 0 && lo >= 0;
      s[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    if (!ok)
      throw std::runtime_error(fmt::format(
          "{}:{}: not a secret (expected 32 hex digits, e.g. from `openssl rand -hex 16`)", path,
          number));
    secrets.push_back(s);
  }
  if (secrets.empty())
    throw std::runtime_error(fmt::format(
        "udp.connection_id_secret_file \"{}\" holds no secret (expected lines of 32 hex digits)",
        path));
  return secrets;
}

}  // namespace cairn::server
