#include "command_line.hpp"

#include <cstdio>

namespace cairn::app {

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  if (argc < 2) {
    std::fputs(app.help().c_str(), stderr);
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11's codes (105, 106, 109, ...) say which check failed; one code
    // for all of them is what scripts and shells expect.
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  return std::nullopt;
}

int run_reporting_usage(const char* name, const std::function<int()>& body) {
  try {
    return body();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "cairn %s: %s\n", name, e.what());
    return kExitUsage;
  }
}

}  // namespace cairn::app
