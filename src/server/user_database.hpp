#pragma once
// Private mode's SQLite database (private.database): users with their
// passkeys and credit, credit per user and torrent, and the registered
// torrents of the allow-list. One object per thread: the server's private
// task keeps one, `cairn user` opens its own; SQLite's WAL journal and a
// busy timeout let both write the same file while the server runs.
#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "tracker/accounting.hpp"
#include "tracker/private_mode.hpp"

namespace cairn::server {

// What went wrong, for a person: names the file and what was expected.
class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct UserRow {
  tracker::UserId id = 0;
  std::string name;
  std::string passkey;
  bool enabled = true;
  std::uint64_t uploaded = 0;
  std::uint64_t downloaded = 0;
  std::uint64_t snatches = 0;
  std::uint64_t active_torrents = 0;  // as of the server's last flush
};

// Credit earned on one torrent since the last flush.
using TorrentCredit = std::pair<tracker::UserTorrent, tracker::Credit>;

class UserDatabase {
 public:
  // Opens `path`, making it and its tables if missing. Throws DatabaseError.
  explicit UserDatabase(const std::string& path);
  ~UserDatabase();
  UserDatabase(const UserDatabase&) = delete;
  UserDatabase& operator=(const UserDatabase&) = delete;

  // --- for `cairn user` and `cairn torrent` (each throws DatabaseError
  // naming the user or torrent when it is taken or missing) ---
  // Returns the new user's passkey.
  std::string add_user(std::string_view name);
  std::vector<UserRow> users();
  void set_enabled(std::string_view name, bool enabled);
  // A new passkey for `name`; the old one stops working.
  std::string rekey(std::string_view name);
  // Whether it was new.
  bool add_torrent(const core::InfoHash& info_hash);
  // Whether it was registered.
  bool remove_torrent(const core::InfoHash& info_hash);
  std::vector<core::InfoHash> torrents();

  // --- for the server's private task ---
  // Changes whenever another connection (`cairn user`) committed.
  std::int64_t data_version();
  // Enabled users' passkeys and, with `allow_list`, the registered torrents.
  tracker::PrivateSnapshot snapshot(bool allow_list);
  // Adds the credit and sets every user's active torrent count (users not
  // in `active` have none), in one transaction.
  void flush(std::span<const TorrentCredit> credit,
             std::span<const std::pair<tracker::UserId, std::uint32_t>> active);

  const std::string& path() const { return path_; }

 private:
  class Statement;
  void exec(const char* sql);
  void open();  // the constructor's work: it closes the handle if this throws
  [[noreturn]] void fail(std::string_view what) const;
  std::int64_t user_id(std::string_view name);

  std::string path_;
  sqlite3* db_ = nullptr;
};

// 24 random bytes as 32 URL-safe base64 characters.
std::string new_passkey();

}  // namespace cairn::server
