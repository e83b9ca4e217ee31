#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client_options.hpp"
#include "command.hpp"

namespace cairn::app {

// `cairn announce`: keep a presence announced on several trackers until
// Ctrl-C (then withdraw it), or once with --once.
class AnnounceCommand final : public Command {
 public:
  explicit AnnounceCommand(CLI::App& parent);
  CLI::App& cli() const override { return *command_; }
  int run() const override;

 private:
  client::Presence presence(const client::Subject& subject, const client::Tiers& tiers) const;
  int announce() const;

  CLI::App* command_;
  ClientOptions client_;
  std::vector<std::string> addresses_;
  std::vector<std::string> meta_;
  std::optional<std::uint32_t> ttl_;
  std::string key_file_;
  bool once_ = false;
};

}  // namespace cairn::app
