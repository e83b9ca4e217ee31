#pragma once
// `cairn user` and `cairn torrent`: private mode's users and registered
// torrents, edited in the SQLite database (private.database) directly, so
// they work with the server running or not; a running server sees the
// change within private.reload_interval.
#include <string>

#include "command.hpp"

namespace cairn::app {

// Which database: --database FILE, or --config FILE's private.database.
struct DatabaseChoice {
  std::string database;
  std::string config;
  void add_options(CLI::App& c);
  std::string path() const;  // throws UsageError when neither is given
};

class UserCommand final : public Command {
 public:
  explicit UserCommand(CLI::App& parent);
  CLI::App& cli() const override { return *command_; }
  int run() const override;

 private:
  CLI::App* command_;
  CLI::App *add_, *list_, *disable_, *enable_, *rekey_;
  DatabaseChoice db_;
  std::string name_;
  bool json_ = false;
};

class TorrentCommand final : public Command {
 public:
  explicit TorrentCommand(CLI::App& parent);
  CLI::App& cli() const override { return *command_; }
  int run() const override;

 private:
  CLI::App* command_;
  CLI::App *add_, *remove_, *list_;
  DatabaseChoice db_;
  std::string hash_;
};

}  // namespace cairn::app
