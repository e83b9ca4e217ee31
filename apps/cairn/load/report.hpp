#pragma once
// The run's outcome: a human-readable summary, and with --json one line the
// benchmark script parses.
#include <string>
#include <vector>

#include "load/options.hpp"
#include "load/stats.hpp"

namespace cairn::load {

struct RunSummary {
  const Options* options = nullptr;
  std::uint32_t peers = 0;  // after any cap
  std::uint32_t lanes = 0;
  std::uint32_t window = 0;
  double duration_s = 0;
  Stats stats;
  std::vector<std::string> notes;  // adjustments made to the request (caps, roundings)
};

std::string human_report(const RunSummary& s);
std::string json_report(const RunSummary& s);

}  // namespace cairn::load
