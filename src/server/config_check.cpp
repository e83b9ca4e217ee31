#include "server/config_check.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "net/tls_context.hpp"
#include "server/access_list_file.hpp"
#include "server/cluster_files.hpp"
#include "store/store_factory.hpp"

namespace cairn::server {

namespace {

// Runs a reader and prefixes its message with the key it served and the
// file, unless the message names the key already.
template <class Read>
void check(std::string_view key, const std::string& file, Read read) {
  try {
    read();
  } catch (const std::exception& e) {
    const std::string what = e.what();
    if (what.find(key) != std::string::npos) throw;
    throw std::runtime_error(fmt::format("{} {}: {}", key, file, what));
  }
}

std::string quoted(const std::string& file) { return fmt::format("\"{}\"", file); }

// Each save writes a temporary file beside the state file and renames it
// over the old one: the folder must exist and take new files.
void check_state_folder(const std::string& state_file) {
  std::filesystem::path folder = std::filesystem::path(state_file).parent_path();
  if (folder.empty()) folder = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec))
    throw std::runtime_error(fmt::format(
        "server.state_file {}: its folder {} does not exist (expected a writable folder)",
        quoted(state_file), quoted(folder.string())));
  if (::access(folder.c_str(), W_OK | X_OK) != 0)
    throw std::runtime_error(fmt::format("server.state_file {}: its folder {} is not writable: {}",
                                         quoted(state_file), quoted(folder.string()),
                                         std::strerror(errno)));
}

}  // namespace

void check_config_files(const Config& c) {
  if (auto problem = tls_problem(c)) throw std::runtime_error(*problem);
  if (!c.tls.listen.empty())
    check("tls.cert_file and tls.key_file",
          quoted(c.tls.cert_file) + " and " + quoted(c.tls.key_file),
          [&] { net::TlsContext tls(c.tls.cert_file, c.tls.key_file); });
  if (!c.connection_id_secret_file.empty())
    check("udp.connection_id_secret_file", quoted(c.connection_id_secret_file),
          [&] { read_connection_id_secrets(c.connection_id_secret_file); });
  if (c.access_mode != tracker::AccessMode::off)
    check("tracker.access_list", quoted(c.access_list), [&] { read_access_list(c.access_list); });
  check("store.redis_password_file", quoted(c.store.redis_password_file),
        [&] { store::check_store_files(c.store); });
  if (!c.state_file.empty()) check_state_folder(c.state_file);
}

}  // namespace cairn::server
