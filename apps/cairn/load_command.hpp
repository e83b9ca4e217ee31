#pragma once
#include <string>

#include "command.hpp"
#include "load/options.hpp"

namespace cairn::app {

// `cairn load`: a closed-loop load generator for BitTorrent trackers (Cairn
// or any other), speaking through the same codec as the server.
class LoadCommand final : public Command {
 public:
  explicit LoadCommand(CLI::App& parent);
  CLI::App& cli() const override { return *command_; }
  int run() const override;

 private:
  CLI::App* command_;
  std::string mode_ = "udp";
  std::string target_;
  mutable load::Options options_;  // run() settles defaults and caps in place
};

}  // namespace cairn::app
