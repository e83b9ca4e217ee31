#pragma once
// How cairn's command line fails. Every command exits 2 on a command-line
// error (CLI11's own, or a value a command refuses before doing anything)
// and says why on stderr; results go to stdout, errors and notes to stderr.
#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <stdexcept>

namespace cairn::app {

inline constexpr int kExitFailed = 1;  // the command ran and failed
inline constexpr int kExitUsage = 2;   // a command-line error: nothing was done

// A command-line value a command refuses, found after parsing ("--addr
// 1.2.3.4: need IP:PORT ..."): the message names the option.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses argv: nullopt to go on, or the exit code (0 after --help or
// --version, kExitUsage after an error, or no arguments at all, which
// prints the help on stderr).
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// Runs a command's body; a UsageError becomes "cairn NAME: MESSAGE" on
// stderr and kExitUsage.
int run_reporting_usage(const char* name, const std::function<int()>& body);

}  // namespace cairn::app
