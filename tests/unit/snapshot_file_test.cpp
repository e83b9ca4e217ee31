// Saving the memory store to a state file and restoring it: ages carried
// across the downtime, expiry, counts, flags, the store's limits, and bad
// files restoring nothing.
#include "server/snapshot_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace cairn::server {
namespace {

namespace fs = std::filesystem;
using store::Limits;
using store::MemoryStore;
using store::StoredPeer;

constexpr core::Seconds ttl = 100;
constexpr std::uint64_t written = 1'700'000'000;

core::InfoHash hash_of(std::uint32_t n) {
  core::InfoHash h;
  for (std::size_t i = 0; i < h.size; ++i) h.bytes[i] = static_cast<std::uint8_t>(n * 13 + i);
  return h;
}

core::Endpoint endpoint_of(std::uint32_t n, bool v6) {
  core::Endpoint e;
  e.address.family = v6 ? core::Family::v6 : core::Family::v4;
  e.address.bytes[0] = v6 ? 0x20 : 10;
  e.address.bytes[2] = static_cast<std::uint8_t>(n >> 8);
  e.address.bytes[3] = static_cast<std::uint8_t>(n);
  e.port = static_cast<std::uint16_t>(6881 + n);
  return e;
}

StoredPeer stored(std::uint32_t n, bool v6, core::Seconds last_seen, bool seeder = false,
                  bool completed = false) {
  StoredPeer p;
  p.peer.endpoint = endpoint_of(n, v6);
  p.peer.peer_id.bytes[0] = static_cast<std::uint8_t>(n);
  p.peer.peer_id.bytes[19] = v6 ? 6 : 4;
  p.last_seen = last_seen;
  p.seeder = seeder;
  p.completed = completed;
  return p;
}

// Every swarm's peers keyed by endpoint, and its counts.
struct Contents {
  std::map<core::InfoHash, std::map<core::Endpoint, StoredPeer>> peers;
  std::map<core::InfoHash, store::SwarmCounts> counts;
};
Contents contents(const MemoryStore& s) {
  Contents c;
  s.for_each_swarm([&](const core::InfoHash& h, const store::SwarmCounts& counts,
                       std::span<const StoredPeer> peers) {
    c.counts[h] = counts;
    for (const auto& p : peers) c.peers[h][p.peer.endpoint] = p;
  });
  return c;
}

class SnapshotFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "cairn-snapshot-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (fs::path(dir_) / "state.bin").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    return names;
  }

  std::string dir_, path_;
};

TEST_F(SnapshotFile, RoundTripKeepsPeersFlagsCountsAndAges) {
  MemoryStore a(Limits{ttl});
  const core::Seconds now = 1000;
  std::vector<StoredPeer> peers;
  for (std::uint32_t i = 0; i < 40; ++i)
    peers.push_back(stored(i, i % 3 == 0, now - i, i % 4 == 0, i % 5 == 0));
  ASSERT_EQ(*a.restore_swarm(hash_of(1), 17, peers), 40u);
  ASSERT_EQ(*a.restore_swarm(hash_of(2), 0, std::span(peers).first(3)), 3u);

  auto saved = save_snapshot(path_, a, now, written);
  ASSERT_TRUE(saved.ok) << saved.error;
  EXPECT_EQ(saved.torrents, 2u);
  EXPECT_EQ(saved.peers, 43u);
  EXPECT_EQ(files(), std::vector<std::string>{"state.bin"});  // no temporary left

  // A new process: its clock reads something else; 5 s of downtime.
  MemoryStore b(Limits{ttl});
  const core::Seconds later = 200;
  auto loaded = load_snapshot(path_, b, later, written + 5, ttl);
  ASSERT_EQ(loaded.status, SnapshotLoaded::Status::restored) << loaded.error;
  EXPECT_EQ(loaded.written_at, written);
  EXPECT_EQ(loaded.torrents, 2u);
  EXPECT_EQ(loaded.peers, 43u);
  EXPECT_EQ(loaded.expired, 0u);

  const Contents before = contents(a), after = contents(b);
  EXPECT_EQ(after.counts, before.counts);
  EXPECT_EQ(after.counts.at(hash_of(1)).downloaded, 17u);
  for (const auto& [hash, swarm] : before.peers) {
    ASSERT_EQ(after.peers.at(hash).size(), swarm.size());
    for (const auto& [endpoint, p] : swarm) {
      const StoredPeer& q = after.peers.at(hash).at(endpoint);
      EXPECT_EQ(q.peer.peer_id, p.peer.peer_id);
      EXPECT_EQ(q.seeder, p.seeder);
      EXPECT_EQ(q.completed, p.completed);
      EXPECT_EQ(later - q.last_seen, now - p.last_seen + 5) << "age plus downtime";
    }
  }
  EXPECT_EQ(b.stats().torrents, 2u);
  EXPECT_EQ(b.stats().peers_v4 + b.stats().peers_v6, 43u);
}

TEST_F(SnapshotFile, PeersPastTheirTtlAcrossTheDowntimeAreDropped) {
  MemoryStore a(Limits{ttl});
  const core::Seconds now = 1000;
  // Ages 0, 50, 79, 80, 95 at writing; 20 s down: 80 + 20 reaches the TTL.
  std::vector<StoredPeer> peers = {stored(1, false, now), stored(2, true, now - 50),
                                   stored(3, false, now - 79), stored(4, false, now - 80),
                                   stored(5, true, now - 95)};
  a.restore_swarm(hash_of(1), 2, peers);
  a.restore_swarm(hash_of(2), 9, std::span(peers).subspan(3));  // all of it expires
  ASSERT_TRUE(save_snapshot(path_, a, now, written).ok);

  MemoryStore b(Limits{ttl});
  const core::Seconds later = 500;
  auto loaded = load_snapshot(path_, b, later, written + 20, ttl);
  ASSERT_EQ(loaded.status, SnapshotLoaded::Status::restored);
  EXPECT_EQ(loaded.peers, 3u);
  EXPECT_EQ(loaded.expired, 4u);
  EXPECT_EQ(loaded.torrents, 1u);
  EXPECT_EQ(b.stats().torrents, 1u);
  EXPECT_EQ(b.scrape(hash_of(2)), store::SwarmCounts{});

  // The survivors keep their remaining lifetime: the one aged 79 + 20 has
  // one second left.
  EXPECT_EQ(b.expire(later), 0u);
  EXPECT_EQ(b.expire(later + 1), 1u);
  EXPECT_EQ(b.expire(later + 50), 1u);
  EXPECT_EQ(b.expire(later + 100), 1u);
}

TEST_F(SnapshotFile, WallClockSetBackCountsAsNoDowntime) {
  MemoryStore a(Limits{ttl});
  a.restore_swarm(hash_of(1), 0, std::vector{stored(1, false, 990)});
  ASSERT_TRUE(save_snapshot(path_, a, 1000, written).ok);
  MemoryStore b(Limits{ttl});
  auto loaded = load_snapshot(path_, b, 300, written - 3600, ttl);
  EXPECT_EQ(loaded.peers, 1u);
  EXPECT_EQ(contents(b).peers.at(hash_of(1)).begin()->second.last_seen, 290u);
}

TEST_F(SnapshotFile, StoreLimitsApply) {
  MemoryStore a(Limits{ttl});
  std::vector<StoredPeer> peers;
  for (std::uint32_t i = 0; i < 5; ++i) peers.push_back(stored(i, i == 4, 1000));
  for (std::uint32_t t = 0; t < 3; ++t) a.restore_swarm(hash_of(t), t, peers);
  ASSERT_TRUE(save_snapshot(path_, a, 1000, written).ok);

  MemoryStore b(Limits{ttl, 2, 3});  // two torrents of three peers
  auto loaded = load_snapshot(path_, b, 1000, written, ttl);
  EXPECT_EQ(loaded.torrents, 2u);
  EXPECT_EQ(loaded.peers, 6u);
  EXPECT_EQ(loaded.over_limit, 9u);  // two from each kept torrent, five of the refused one
  EXPECT_EQ(b.stats().torrents, 2u);
}

TEST_F(SnapshotFile, MissingFile) {
  MemoryStore b(Limits{ttl});
  auto loaded = load_snapshot(path_, b, 1000, written, ttl);
  EXPECT_EQ(loaded.status, SnapshotLoaded::Status::missing);
  EXPECT_TRUE(loaded.error.empty());
}

TEST_F(SnapshotFile, DamagedFilesRestoreNothing) {
  MemoryStore a(Limits{ttl});
  a.restore_swarm(hash_of(1), 4, std::vector{stored(1, false, 1000), stored(2, true, 1000)});
  ASSERT_TRUE(save_snapshot(path_, a, 1000, written).ok);
  std::ifstream in(path_, std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), {});

  auto load_text = [&](const std::string& bytes) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
    MemoryStore b(Limits{ttl});
    auto loaded = load_snapshot(path_, b, 1000, written, ttl);
    EXPECT_EQ(b.stats().torrents, 0u);
    EXPECT_EQ(loaded.status, SnapshotLoaded::Status::unreadable);
    return loaded.error;
  };
  std::string flipped = good;
  flipped[40] ^= 1;
  EXPECT_EQ(load_text(flipped), "checksum mismatch");
  EXPECT_EQ(load_text(good.substr(0, good.size() - 1)), "checksum mismatch");
  EXPECT_EQ(load_text(good.substr(0, 10)), "truncated");
  EXPECT_EQ(load_text(""), "truncated");
  EXPECT_EQ(load_text("not a snapshot at all, but long enough to have a trailer........"),
            "not a Cairn state file (bad magic)");
}

TEST_F(SnapshotFile, SaveIntoMissingFolderFailsCleanly) {
  MemoryStore a(Limits{ttl});
  auto saved = save_snapshot((fs::path(dir_) / "no" / "state.bin").string(), a, 1000, written);
  EXPECT_FALSE(saved.ok);
  EXPECT_FALSE(saved.error.empty());
}

// restore_swarm itself: merged counts, a big swarm in both families, and
// peers that behave as announced ones afterwards.
TEST(RestoreSwarm, BigSwarmBothFamilies) {
  MemoryStore s(Limits{ttl});
  std::vector<StoredPeer> peers;
  for (std::uint32_t i = 0; i < 3000; ++i)
    peers.push_back(stored(i * 7919 % 3000, i % 2 == 1, 1000 - i % 60, i % 10 == 0));
  ASSERT_EQ(*s.restore_swarm(hash_of(1), 12, peers), 3000u);
  const auto counts = s.scrape(hash_of(1));
  EXPECT_EQ(counts.seeders, 300u);
  EXPECT_EQ(counts.leechers, 2700u);
  EXPECT_EQ(counts.downloaded, 12u);

  // Every restored peer is found again by endpoint: announcing from it
  // updates it rather than adding one.
  std::vector<core::PeerInfo> out;
  for (const auto& p : peers) {
    store::Announce a;
    a.info_hash = hash_of(1);
    a.endpoint = p.peer.endpoint;
    a.peer_id = p.peer.peer_id;
    a.seeder = p.seeder;
    a.now = 1001;
    ASSERT_TRUE(s.announce(a, out).has_value());
  }
  EXPECT_EQ(s.stats().peers_v4 + s.stats().peers_v6, 3000u);
}

TEST(RestoreSwarm, MaxPeersPerTorrentAndMerge) {
  MemoryStore s(Limits{ttl, 10, 4});
  std::vector<StoredPeer> peers;
  for (std::uint32_t i = 0; i < 6; ++i) peers.push_back(stored(i, false, 1000, false, true));
  EXPECT_EQ(*s.restore_swarm(hash_of(1), 6, peers), 4u);
  EXPECT_EQ(s.scrape(hash_of(1)).downloaded, 6u);
  EXPECT_EQ(*s.restore_swarm(hash_of(1), 2, peers), 0u);  // already full; count kept
  EXPECT_EQ(s.scrape(hash_of(1)).downloaded, 6u);
  EXPECT_EQ(*s.restore_swarm(hash_of(2), 0, {}), 0u);
  EXPECT_EQ(s.stats().torrents, 1u);
}

}  // namespace
}  // namespace cairn::server
