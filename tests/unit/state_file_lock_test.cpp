// Claiming the state file at start: its folder, another process's lock (an
// flock is per open file, so a second claim in this process stands in for
// one), and a file that is not a Cairn state file.
#include "server/state_file_lock.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace cairn::server {
namespace {

namespace fs = std::filesystem;

class StateFileLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/cairn-lock-XXXXXX";
    ASSERT_NE(::mkdtemp(name), nullptr);
    dir_ = name;
    path_ = (dir_ / "state.bin").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& bytes) { std::ofstream(path_, std::ios::binary) << bytes; }

  // The message of the refusal, or "" if the claim succeeded.
  std::string refusal(const std::string& path) {
    try {
      StateFileLock lock(path);
      return "";
    } catch (const std::runtime_error& e) {
      return e.what();
    }
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(StateFileLockTest, OneHolderAtATime) {
  {
    StateFileLock first(path_);
    EXPECT_EQ(refusal(path_), "state file " + path_ + " is in use by another process (it holds " +
                                  path_ + ".lock); give each tracker a state file of its own");
  }
  EXPECT_EQ(refusal(path_), "");
  // Only the lock file is left: the writability probe cleaned up.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"state.bin.lock"});
}

TEST_F(StateFileLockTest, MissingFolder) {
  const std::string path = (dir_ / "no" / "state.bin").string();
  EXPECT_EQ(refusal(path), "state file " + path + ": folder " + (dir_ / "no").string() +
                               ": No such file or directory; create it or choose another path");
}

TEST_F(StateFileLockTest, ForeignFileRefusedDamagedSnapshotAccepted) {
  write("PK\x03\x04 a zip file");
  EXPECT_EQ(refusal(path_),
            path_ + " is not a Cairn state file; move it away or choose another path");
  write("CAIRNSNP");  // a snapshot cut short: damaged, but Cairn's
  EXPECT_EQ(refusal(path_), "");
  write("CAIR");
  EXPECT_EQ(refusal(path_), "");
  write("");  // empty: nothing to lose
  EXPECT_EQ(refusal(path_), "");
}

TEST_F(StateFileLockTest, NotARegularFile) {
  fs::create_directory(path_);
  EXPECT_EQ(refusal(path_), path_ + " is not a regular file; choose another path");
}

}  // namespace
}  // namespace cairn::server
