#pragma once
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

namespace cairn::app {

// `cairn serve`: the options it parsed, and running them.
class ServeCommand {
 public:
  explicit ServeCommand(CLI::App& parent);
  int run() const;

 private:
  CLI::App* command_;
  std::string config_path_;
  std::vector<std::string> listen_;
  bool print_config_ = false;
};

std::unique_ptr<ServeCommand> add_serve_command(CLI::App& app);

}  // namespace cairn::app
