#pragma once
// Turns the options into a run: settles defaults and caps (each one noted in
// the report), builds the workload, starts one driver per thread, sums up.
#include "load/options.hpp"
#include "load/report.hpp"

namespace cairn::load {

// Throws std::runtime_error for an impossible request (caught in main).
RunSummary run_load(Options& options);

// The workload's info hashes in hex, one per line (for an access list).
void print_hashes(const Options& options);

}  // namespace cairn::load
