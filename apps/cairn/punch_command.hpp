#pragma once
#include <string>

#include "command.hpp"

namespace cairn::app {

// `cairn punch`: register under a topic (or a secret), find the other peer
// there, punch a direct UDP path to it through the tracker, exchange one
// authenticated datagram, and print `direct IP:PORT` (the other side's
// public address), `relayed via HOST:PORT`, or `no direct path: REASON`.
class PunchCommand final : public Command {
 public:
  explicit PunchCommand(CLI::App& parent);
  CLI::App& cli() const override { return *command_; }
  int run() const override;

 private:
  int punch() const;

  CLI::App* command_;
  std::string tracker_, topic_, secret_;
  std::string message_ = "hello from cairn punch";
  unsigned timeout_s_ = 30;
};

}  // namespace cairn::app
