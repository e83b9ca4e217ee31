#pragma once
#include <string>
#include <vector>

#include "command.hpp"
#include "server/config.hpp"

namespace cairn::app {

// `cairn serve`: run the tracker.
class ServeCommand final : public Command {
 public:
  explicit ServeCommand(CLI::App& parent);
  CLI::App& cli() const override { return *command_; }
  int run() const override;

 private:
  server::Config load() const;

  CLI::App* command_;
  std::string config_path_;
  std::vector<std::string> listen_;
  std::vector<std::string> dht_listen_;
  std::vector<std::string> admin_listen_;
  std::string state_file_;
  std::vector<std::string> tls_listen_;
  std::string tls_cert_;
  std::string tls_key_;
  std::string redis_;
  std::string redis_tls_ca_, redis_tls_cert_, redis_tls_key_;
  bool print_config_ = false;
  bool check_config_ = false;
  std::string log_format_;  // "" keeps server.log_format
};

}  // namespace cairn::app
