#include "user_command.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "command_line.hpp"
#include "server/config.hpp"
#include "server/user_database.hpp"

namespace cairn::app {

namespace {

// Every subcommand takes the database options, before or after its
// arguments.
void add_database_options(CLI::App& c, DatabaseChoice& db) { db.add_options(c); }

void print_table(const std::vector<server::UserRow>& users) {
  std::printf("%-20s %-8s %16s %16s %9s %7s  %s\n", "name", "status", "uploaded", "downloaded",
              "snatches", "active", "passkey");
  for (const auto& u : users)
    std::printf("%-20s %-8s %16llu %16llu %9llu %7llu  %s\n", u.name.c_str(),
                u.enabled ? "enabled" : "disabled", static_cast<unsigned long long>(u.uploaded),
                static_cast<unsigned long long>(u.downloaded),
                static_cast<unsigned long long>(u.snatches),
                static_cast<unsigned long long>(u.active_torrents), u.passkey.c_str());
}

void print_json(const std::vector<server::UserRow>& users) {
  boost::json::array out;
  for (const auto& u : users)
    out.push_back({{"name", u.name},
                   {"passkey", u.passkey},
                   {"enabled", u.enabled},
                   {"uploaded", u.uploaded},
                   {"downloaded", u.downloaded},
                   {"snatches", u.snatches},
                   {"active_torrents", u.active_torrents}});
  std::printf("%s\n", boost::json::serialize(out).c_str());
}

// A database error is the command's failure (exit 1), not a usage error.
int reporting_database(const char* name, const std::function<int()>& body) {
  return run_reporting_usage(name, [&] {
    try {
      return body();
    } catch (const server::DatabaseError& e) {
      std::fprintf(stderr, "cairn %s: %s\n", name, e.what());
      return kExitFailed;
    }
  });
}

}  // namespace

void DatabaseChoice::add_options(CLI::App& c) {
  c.add_option("--database", database,
               "Private mode's SQLite file (private.database); made if missing");
  c.add_option("--config", config, "Read private.database from this configuration file")
      ->check(CLI::ExistingFile);
}

std::string DatabaseChoice::path() const {
  if (!database.empty()) return database;
  if (!config.empty()) {
    auto c = server::load_config(config);
    if (c.private_mode.database.empty())
      throw UsageError("--config " + config +
                       " sets no private.database: give --database FILE, or set "
                       "tracker.mode = \"private\" and private.database there");
    return c.private_mode.database;
  }
  throw UsageError(
      "which database? give --database FILE (private.database) or --config FILE naming it");
}

UserCommand::UserCommand(CLI::App& parent) {
  command_ = parent.add_subcommand(
      "user", "Private mode's users: add, list, disable, enable, rekey (edits private.database)");
  command_->require_subcommand(1);
  add_ = command_->add_subcommand("add", "Add a user and print its new passkey");
  list_ = command_->add_subcommand(
      "list", "List users: uploaded, downloaded, snatches, active torrents, passkey");
  disable_ = command_->add_subcommand("disable", "Refuse a user's passkey from now on");
  enable_ = command_->add_subcommand("enable", "Accept a disabled user's passkey again");
  rekey_ = command_->add_subcommand("rekey", "Give a user a new passkey (the old one stops)");
  for (auto* c : {add_, disable_, enable_, rekey_})
    c->add_option("NAME", name_, "The user's name")->required();
  list_->add_flag("--json", json_, "One JSON array instead of a table");
  for (auto* c : {add_, list_, disable_, enable_, rekey_}) add_database_options(*c, db_);
}

int UserCommand::run() const {
  return reporting_database("user", [&] {
    server::UserDatabase db(db_.path());
    if (add_->parsed()) {
      std::printf("%s\n", db.add_user(name_).c_str());
    } else if (list_->parsed()) {
      const auto users = db.users();
      json_ ? print_json(users) : print_table(users);
    } else if (disable_->parsed() || enable_->parsed()) {
      db.set_enabled(name_, enable_->parsed());
      std::fprintf(stderr, "user %s %s\n", name_.c_str(),
                   enable_->parsed() ? "enabled" : "disabled");
    } else if (rekey_->parsed()) {
      std::printf("%s\n", db.rekey(name_).c_str());
    }
    return 0;
  });
}

TorrentCommand::TorrentCommand(CLI::App& parent) {
  command_ = parent.add_subcommand(
      "torrent", "Private mode's registered torrents (private.allow_list): add, remove, list");
  command_->require_subcommand(1);
  add_ = command_->add_subcommand("add", "Register a torrent by its info hash");
  remove_ = command_->add_subcommand("remove", "Unregister a torrent");
  list_ = command_->add_subcommand("list", "Print the registered info hashes");
  for (auto* c : {add_, remove_})
    c->add_option("INFO_HASH", hash_, "40 hex digits (a v2 hash: its first 40)")->required();
  for (auto* c : {add_, remove_, list_}) add_database_options(*c, db_);
}

int TorrentCommand::run() const {
  return reporting_database("torrent", [&] {
    server::UserDatabase db(db_.path());
    if (list_->parsed()) {
      for (const auto& h : db.torrents()) std::printf("%s\n", h.hex().c_str());
      return 0;
    }
    const auto hash = core::InfoHash::from_hex(hash_);
    if (!hash) throw UsageError("INFO_HASH " + hash_ + ": expected 40 hex digits");
    if (add_->parsed())
      std::fprintf(stderr, "%s %s\n", hash->hex().c_str(),
                   db.add_torrent(*hash) ? "registered" : "was registered already");
    else if (!db.remove_torrent(*hash))
      throw server::DatabaseError(hash->hex() + " is not registered in " + db.path() +
                                  " (`cairn torrent list` shows those that are)");
    else
      std::fprintf(stderr, "%s removed\n", hash->hex().c_str());
    return 0;
  });
}

}  // namespace cairn::app
