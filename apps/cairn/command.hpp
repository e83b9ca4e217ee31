#pragma once
#include <CLI/CLI.hpp>

namespace cairn::app {

// A subcommand of `cairn`: registers its options on construction and runs
// when the command line named it.
class Command {
 public:
  virtual ~Command() = default;
  virtual CLI::App& cli() const = 0;
  virtual int run() const = 0;
};

}  // namespace cairn::app
