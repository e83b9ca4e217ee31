#include "server/user_database.hpp"

#include <sodium.h>

#include <array>
#include <boost/unordered/unordered_flat_map.hpp>

#include "core/passkey.hpp"

namespace cairn::server {

namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS users(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  passkey TEXT NOT NULL UNIQUE,
  enabled INTEGER NOT NULL DEFAULT 1,
  uploaded INTEGER NOT NULL DEFAULT 0,
  downloaded INTEGER NOT NULL DEFAULT 0,
  snatches INTEGER NOT NULL DEFAULT 0,
  active_torrents INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS user_torrents(
  user_id INTEGER NOT NULL REFERENCES users(id),
  info_hash TEXT NOT NULL,
  uploaded INTEGER NOT NULL DEFAULT 0,
  downloaded INTEGER NOT NULL DEFAULT 0,
  snatches INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(user_id, info_hash));
CREATE TABLE IF NOT EXISTS torrents(
  info_hash TEXT PRIMARY KEY);
)";

constexpr std::size_t kMaxName = 64;

// Names are printed in tables and typed on command lines.
bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxName) return false;
  for (unsigned char c : name)
    if (c <= ' ' || c == 0x7f) return false;
  return true;
}

}  // namespace

// A prepared statement, finalized when it goes out of scope.
class UserDatabase::Statement {
 public:
  Statement(UserDatabase& db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db.db_, sql, -1, &s_, nullptr) != SQLITE_OK) db.fail("prepare");
  }
  ~Statement() { sqlite3_finalize(s_); }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Statement& bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // True while a row is there to read.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) db_.fail("step");
    return false;
  }
  void run() {
    step();
    sqlite3_reset(s_);
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(s_, col); }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
  }

 private:
  UserDatabase& db_;
  sqlite3_stmt* s_ = nullptr;
};

std::string new_passkey() {
  std::array<unsigned char, 24> random;
  randombytes_buf(random.data(), random.size());
  std::array<char, core::kPasskeySize + 1> text;
  sodium_bin2base64(text.data(), text.size(), random.data(), random.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(text.data(), core::kPasskeySize);
}

UserDatabase::UserDatabase(const std::string& path) : path_(path) {
  // No destructor runs for a constructor that throws, and SQLite hands out
  // a handle to close even when opening fails.
  try {
    open();
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

void UserDatabase::open() {
  if (sodium_init() < 0) throw DatabaseError("libsodium failed to initialise");
  if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK)
    fail("open (expected a writable SQLite file, made if missing)");
  // The server and `cairn user` write the same file: each waits its turn.
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  // In WAL mode NORMAL cannot corrupt the file; a power cut may lose the
  // last flush's credit, and a flush is not worth an fsync per transaction.
  exec("PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
  exec(kSchema);
}

UserDatabase::~UserDatabase() { sqlite3_close(db_); }

void UserDatabase::fail(std::string_view what) const {
  throw DatabaseError("database " + path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_));
}

void UserDatabase::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string text = error ? error : "unknown error";
    sqlite3_free(error);
    throw DatabaseError("database " + path_ + ": " + text +
                        " (expected a Cairn private-mode database, or a new file)");
  }
}

std::int64_t UserDatabase::user_id(std::string_view name) {
  Statement s(*this, "SELECT id FROM users WHERE name = ?");
  s.bind(1, name);
  if (!s.step())
    throw DatabaseError("no user named \"" + std::string(name) + "\" in " + path_ +
                        " (`cairn user list` shows the users)");
  return s.integer(0);
}

std::string UserDatabase::add_user(std::string_view name) {
  if (!valid_name(name))
    throw DatabaseError("bad user name \"" + std::string(name) +
                        "\": expected 1 to 64 characters without spaces or control characters");
  {
    Statement taken(*this, "SELECT 1 FROM users WHERE name = ?");
    taken.bind(1, name);
    if (taken.step())
      throw DatabaseError("a user named \"" + std::string(name) + "\" exists already in " + path_ +
                          " (`cairn user rekey` gives it a new passkey)");
  }
  const std::string passkey = new_passkey();
  Statement s(*this, "INSERT INTO users(name, passkey) VALUES(?, ?)");
  s.bind(1, name).bind(2, passkey).run();
  return passkey;
}

std::vector<UserRow> UserDatabase::users() {
  Statement s(*this,
              "SELECT id, name, passkey, enabled, uploaded, downloaded, snatches, active_torrents "
              "FROM users ORDER BY name");
  std::vector<UserRow> rows;
  while (s.step()) {
    rows.push_back(
        {static_cast<tracker::UserId>(s.integer(0)), s.text(1), s.text(2), s.integer(3) != 0,
         static_cast<std::uint64_t>(s.integer(4)), static_cast<std::uint64_t>(s.integer(5)),
         static_cast<std::uint64_t>(s.integer(6)), static_cast<std::uint64_t>(s.integer(7))});
  }
  return rows;
}

void UserDatabase::set_enabled(std::string_view name, bool enabled) {
  const auto id = user_id(name);
  Statement s(*this, "UPDATE users SET enabled = ? WHERE id = ?");
  s.bind(1, enabled ? 1 : 0).bind(2, id).run();
}

std::string UserDatabase::rekey(std::string_view name) {
  const auto id = user_id(name);
  const std::string passkey = new_passkey();
  Statement s(*this, "UPDATE users SET passkey = ? WHERE id = ?");
  s.bind(1, passkey).bind(2, id).run();
  return passkey;
}

bool UserDatabase::add_torrent(const core::InfoHash& info_hash) {
  Statement s(*this, "INSERT OR IGNORE INTO torrents(info_hash) VALUES(?)");
  s.bind(1, info_hash.hex()).run();
  return sqlite3_changes(db_) > 0;
}

bool UserDatabase::remove_torrent(const core::InfoHash& info_hash) {
  Statement s(*this, "DELETE FROM torrents WHERE info_hash = ?");
  s.bind(1, info_hash.hex()).run();
  return sqlite3_changes(db_) > 0;
}

std::vector<core::InfoHash> UserDatabase::torrents() {
  Statement s(*this, "SELECT info_hash FROM torrents ORDER BY info_hash");
  std::vector<core::InfoHash> out;
  while (s.step())
    if (auto h = core::InfoHash::from_hex(s.text(0))) out.push_back(*h);
  return out;
}

std::int64_t UserDatabase::data_version() {
  Statement s(*this, "PRAGMA data_version");
  s.step();
  return s.integer(0);
}

tracker::PrivateSnapshot UserDatabase::snapshot(bool allow_list) {
  tracker::PrivateSnapshot snap;
  {
    Statement s(*this, "SELECT passkey, id FROM users WHERE enabled != 0");
    while (s.step())
      if (auto key = core::Passkey::parse(s.text(0)))
        snap.users.emplace(*key, static_cast<tracker::UserId>(s.integer(1)));
  }
  snap.allow_list = allow_list;
  if (allow_list)
    for (const auto& h : torrents()) snap.torrents.insert(h);
  return snap;
}

void UserDatabase::flush(std::span<const TorrentCredit> credit,
                         std::span<const std::pair<tracker::UserId, std::uint32_t>> active) {
  exec("BEGIN IMMEDIATE");
  try {
    boost::unordered_flat_map<tracker::UserId, tracker::Credit> per_user;
    Statement torrent(*this,
                      "INSERT INTO user_torrents(user_id, info_hash, uploaded, downloaded, "
                      "snatches) SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM users "
                      "WHERE id = ?1) ON CONFLICT(user_id, info_hash) DO UPDATE SET "
                      "uploaded = uploaded + excluded.uploaded, downloaded = downloaded + "
                      "excluded.downloaded, snatches = snatches + excluded.snatches");
    for (const auto& [key, c] : credit) {
      torrent.bind(1, key.user)
          .bind(2, key.info_hash.hex())
          .bind(3, static_cast<std::int64_t>(c.uploaded))
          .bind(4, static_cast<std::int64_t>(c.downloaded))
          .bind(5, c.snatches)
          .run();
      per_user[key.user] += c;
    }
    Statement user(*this,
                   "UPDATE users SET uploaded = uploaded + ?, downloaded = downloaded + ?, "
                   "snatches = snatches + ? WHERE id = ?");
    for (const auto& [id, c] : per_user)
      user.bind(1, static_cast<std::int64_t>(c.uploaded))
          .bind(2, static_cast<std::int64_t>(c.downloaded))
          .bind(3, c.snatches)
          .bind(4, id)
          .run();
    exec("UPDATE users SET active_torrents = 0 WHERE active_torrents != 0");
    Statement set_active(*this, "UPDATE users SET active_torrents = ? WHERE id = ?");
    for (const auto& [id, n] : active) set_active.bind(1, n).bind(2, id).run();
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace cairn::server
