// cairn: one binary, one subcommand per role. Start-up errors (bad config,
// address in use) end here as one line on stderr and a non-zero exit.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <memory>
#include <vector>

#include "announce_command.hpp"
#include "command_line.hpp"
#include "load_command.hpp"
#include "lookup_command.hpp"
#include "punch_command.hpp"
#include "serve_command.hpp"
#include "user_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Cairn: a peer tracker (BitTorrent HTTP and UDP, and rendezvous for any P2P app)",
               "cairn"};
  app.set_version_flag("--version", std::string("cairn ") + CAIRN_VERSION);
  app.require_subcommand(1);
  std::vector<std::unique_ptr<cairn::app::Command>> commands;
  commands.push_back(std::make_unique<cairn::app::ServeCommand>(app));
  commands.push_back(std::make_unique<cairn::app::LoadCommand>(app));
  commands.push_back(std::make_unique<cairn::app::AnnounceCommand>(app));
  commands.push_back(std::make_unique<cairn::app::LookupCommand>(app));
  commands.push_back(std::make_unique<cairn::app::PunchCommand>(app));
  commands.push_back(std::make_unique<cairn::app::UserCommand>(app));
  commands.push_back(std::make_unique<cairn::app::TorrentCommand>(app));
  if (auto exit_code = cairn::app::parse_command_line(app, argc, argv)) return *exit_code;
  try {
    spdlog::set_default_logger(spdlog::stderr_color_mt("cairn"));
    for (const auto& command : commands)
      if (command->cli().parsed()) return command->run();
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cairn: %s\n", e.what());
    return 1;
  }
}
