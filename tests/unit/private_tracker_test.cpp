// Private mode's server side: the SQLite database (server/user_database.hpp)
// as `cairn user` and the server use it, the background task
// (server/private_tracker.hpp) from worker records to credit in the
// database, and the configuration rules of tracker.mode.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/passkey.hpp"
#include "server/config.hpp"
#include "server/private_tracker.hpp"
#include "server/user_database.hpp"
#include "support/temp_path.hpp"

using namespace cairn;
using namespace cairn::server;

namespace {

// A file name in the test's temp dir (named after the test: CTest runs
// tests in parallel), removed with its WAL files when the test ends.
class TempPath {
 public:
  explicit TempPath(const std::string& suffix) : path_(test::temp_path(suffix)) { clean(); }
  ~TempPath() { clean(); }
  const std::string& path() const { return path_; }

 private:
  void clean() {
    for (const char* s : {"", "-wal", "-shm"}) std::remove((path_ + s).c_str());
  }
  std::string path_;
};

core::InfoHash hash(std::uint8_t b) {
  core::InfoHash h;
  h.bytes.fill(b);
  return h;
}

const UserRow& row(const std::vector<UserRow>& users, const std::string& name) {
  for (const auto& u : users)
    if (u.name == name) return u;
  throw std::runtime_error("no row " + name);
}

std::string load_error(const std::string& text) {
  TempPath file(".toml");
  std::ofstream(file.path()) << text;
  try {
    load_config(file.path());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(UserDatabase, AddListDisableRekey) {
  TempPath db_path(".db");
  UserDatabase db(db_path.path());
  const std::string key = db.add_user("alice");
  EXPECT_TRUE(core::Passkey::parse(key)) << key;
  EXPECT_NE(db.add_user("bob"), key);
  auto users = db.users();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(row(users, "alice").passkey, key);
  EXPECT_TRUE(row(users, "alice").enabled);

  auto snap = db.snapshot(false);
  EXPECT_EQ(snap.users.size(), 2u);
  EXPECT_TRUE(snap.users.contains(*core::Passkey::parse(key)));

  db.set_enabled("alice", false);
  EXPECT_FALSE(db.snapshot(false).users.contains(*core::Passkey::parse(key)));
  db.set_enabled("alice", true);
  const std::string fresh = db.rekey("alice");
  EXPECT_NE(fresh, key);
  snap = db.snapshot(false);
  EXPECT_FALSE(snap.users.contains(*core::Passkey::parse(key)));
  EXPECT_TRUE(snap.users.contains(*core::Passkey::parse(fresh)));
}

TEST(UserDatabase, ErrorsNameWhatWasWrong) {
  TempPath db_path(".db");
  UserDatabase db(db_path.path());
  db.add_user("alice");
  auto message = [&](auto f) -> std::string {
    try {
      f();
    } catch (const DatabaseError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message([&] { db.add_user("alice"); }).find("exists already"), std::string::npos);
  EXPECT_NE(message([&] { db.add_user("with space"); }).find("bad user name"), std::string::npos);
  EXPECT_NE(message([&] { db.add_user(""); }).find("expected 1 to 64"), std::string::npos);
  EXPECT_NE(message([&] { db.set_enabled("nobody", false); }).find("no user named \"nobody\""),
            std::string::npos);
  EXPECT_NE(
      message([] { UserDatabase bad("/nonexistent-dir/x.db"); }).find("/nonexistent-dir/x.db"),
      std::string::npos);
  TempPath not_db(".txt");
  std::ofstream(not_db.path()) << "this is not a database, just some text well past the header";
  EXPECT_NE(message([&] { UserDatabase bad(not_db.path()); }).find(not_db.path()),
            std::string::npos);
}

TEST(UserDatabase, TorrentsAndAllowList) {
  TempPath db_path(".db");
  UserDatabase db(db_path.path());
  EXPECT_TRUE(db.add_torrent(hash(1)));
  EXPECT_FALSE(db.add_torrent(hash(1)));
  EXPECT_TRUE(db.add_torrent(hash(2)));
  EXPECT_TRUE(db.remove_torrent(hash(2)));
  EXPECT_FALSE(db.remove_torrent(hash(2)));
  EXPECT_EQ(db.torrents(), std::vector<core::InfoHash>{hash(1)});
  EXPECT_FALSE(db.snapshot(false).allow_list);
  const auto snap = db.snapshot(true);
  EXPECT_TRUE(snap.allow_list);
  EXPECT_TRUE(snap.torrents.contains(hash(1)));
  EXPECT_FALSE(snap.torrents.contains(hash(2)));
}

TEST(UserDatabase, FlushAddsCreditInOneTransaction) {
  TempPath db_path(".db");
  UserDatabase db(db_path.path());
  db.add_user("alice");
  const auto id = db.users()[0].id;
  std::vector<TorrentCredit> credit{{{id, hash(1)}, {100, 40, 1}}, {{id, hash(2)}, {5, 0, 0}}};
  std::vector<std::pair<tracker::UserId, std::uint32_t>> active{{id, 2}};
  db.flush(credit, active);
  db.flush(credit, {});
  const auto u = db.users()[0];
  EXPECT_EQ(u.uploaded, 210u);
  EXPECT_EQ(u.downloaded, 80u);
  EXPECT_EQ(u.snatches, 2u);
  EXPECT_EQ(u.active_torrents, 0u);  // the second flush saw none active
  // Credit for a user removed meanwhile is dropped, not an error.
  db.flush(std::vector<TorrentCredit>{{{id + 100, hash(1)}, {1, 1, 0}}}, {});
}

TEST(PrivateTracker, CreditsWorkerRecordsAtStop) {
  TempPath db_path(".db");
  std::string key;
  {
    UserDatabase db(db_path.path());
    key = db.add_user("alice");
  }
  Config::Private config;
  config.enabled = true;
  config.database = db_path.path();
  PrivateTracker p(config, 3600, 2);
  EXPECT_EQ(p.users(), 1u);
  ASSERT_NE(p.worker(0).user(*core::Passkey::parse(key)), nullptr);
  const tracker::UserId id = *p.worker(1).user(*core::Passkey::parse(key));
  core::Seconds now = 100;
  p.start([&] { return now; });
  // One peer's announces on alternate workers (new HTTP connections): the
  // ledger sees them in the order they were kept, whatever the worker.
  core::PeerId peer;
  p.worker(1).record({id, core::Event::started, hash(1), peer, 0, 0, 1000});
  p.worker(0).record({id, core::Event::none, hash(1), peer, 300, 200, 800});
  p.worker(1).record({id, core::Event::none, hash(1), peer, 350, 600, 400});
  p.worker(0).record({id, core::Event::completed, hash(1), peer, 400, 1000, 0});
  ASSERT_TRUE(p.stop());
  UserDatabase db(db_path.path());
  const auto u = db.users()[0];
  EXPECT_EQ(u.uploaded, 400u);
  EXPECT_EQ(u.downloaded, 1000u);
  EXPECT_EQ(u.snatches, 1u);
  EXPECT_EQ(u.active_torrents, 1u);
}

TEST(PrivateTracker, SeesDatabaseChangesWhileRunning) {
  TempPath db_path(".db");
  Config::Private config;
  config.enabled = true;
  config.database = db_path.path();
  config.reload_interval = 1;
  PrivateTracker p(config, 3600, 1);
  p.start([] { return core::Seconds{1}; });
  const std::string key = UserDatabase(db_path.path()).add_user("carol");
  const auto passkey = *core::Passkey::parse(key);
  // Bounded: the reload runs every second.
  for (int i = 0; i < 50 && !p.worker(0).user(passkey); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NE(p.worker(0).user(passkey), nullptr);
  UserDatabase(db_path.path()).set_enabled("carol", false);
  for (int i = 0; i < 50 && p.worker(0).user(passkey); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(p.worker(0).user(passkey), nullptr);
  EXPECT_TRUE(p.stop());
}

TEST(PrivateConfig, ModeAndDatabaseGoTogether) {
  EXPECT_NE(load_error("[tracker]\nmode = \"private\"\n").find("needs private.database"),
            std::string::npos);
  EXPECT_NE(load_error("[private]\ndatabase = \"users.db\"\n").find("tracker.mode is \"public\""),
            std::string::npos);
  EXPECT_NE(load_error("[tracker]\nmode = \"secret\"\n").find("must be one of public, private"),
            std::string::npos);
  EXPECT_NE(load_error("[tracker]\nmode = \"private\"\n[private]\ndatabase = \"u.db\"\n"
                       "[dht]\nlisten = [\"127.0.0.1:0\"]\n")
                .find("DHT bridge"),
            std::string::npos);
  TempPath file(".toml");
  std::ofstream(file.path()) << "[tracker]\nmode = \"private\"\n[private]\ndatabase = "
                                "\"users.db\"\nallow_list = true\nflush_interval = 3\n";
  const Config c = load_config(file.path());
  EXPECT_TRUE(c.private_mode.enabled);
  EXPECT_TRUE(c.private_mode.allow_list);
  EXPECT_EQ(c.private_mode.flush_interval, 3u);
  // Beside the configuration file, as every other file it names.
  EXPECT_EQ(c.private_mode.database, ::testing::TempDir() + "users.db");
}
