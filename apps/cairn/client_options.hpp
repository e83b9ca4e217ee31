#pragma once
// The options `cairn announce` and `cairn lookup` share: which trackers (one
// --tracker per BEP 12 tier, commas between the trackers of a tier) and
// what about (--topic, --info-hash or --secret).
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "client/client.hpp"

namespace cairn::app {

class ClientOptions {
 public:
  void add_to(CLI::App& command);
  // Throw UsageError with a one-line reason on a bad value.
  client::Tiers tiers() const;
  client::Subject subject() const;
  client::Options options() const;

 private:
  std::vector<std::string> trackers_;
  std::string topic_, info_hash_, secret_, ca_file_;
  unsigned timeout_ms_ = 3000;
};

}  // namespace cairn::app
