#pragma once
#include <string>

#include "client_options.hpp"
#include "command.hpp"

namespace cairn::app {

// `cairn lookup`: ask every tracker tier who is there, merge what they say,
// print one peer a line (or JSON).
class LookupCommand final : public Command {
 public:
  explicit LookupCommand(CLI::App& parent);
  CLI::App& cli() const override { return *command_; }
  int run() const override;

 private:
  int look_up() const;

  CLI::App* command_;
  ClientOptions client_;
  std::string capability_;
  bool json_ = false;
};

}  // namespace cairn::app
