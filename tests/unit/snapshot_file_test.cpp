// Saving the memory store to a state file and restoring it: ages carried
// across the downtime, expiry, counts, flags, the store's limits, and bad
// files restoring nothing.
#include "server/snapshot_file.hpp"

#include <gtest/gtest.h>
#include <sodium/crypto_generichash.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "codec/snapshot.hpp"
#include "record_store_contents.hpp"
#include "store/memory/memory_record_store.hpp"
#include "store/memory/memory_store.hpp"
#include "support/endpoints.hpp"
#include "support/ids.hpp"
#include "support/store_results.hpp"

namespace cairn::server {
namespace {

namespace fs = std::filesystem;
using store::Limits;
using store::MemoryRecordStore;
using store::MemoryStore;
using store::RecordLimits;
using store::StoredPeer;
using store::testing::contents;
using store::testing::TopicContents;

constexpr core::Seconds ttl = 100;
constexpr std::uint64_t written = 1'700'000'000;

core::InfoHash hash_of(std::uint32_t n) { return test::id_of<core::InfoHash>(n); }

core::Endpoint endpoint_of(std::uint32_t n, bool v6) {
  const auto port = static_cast<std::uint16_t>(6881 + n);
  return v6 ? test::v6(n, port) : test::v4(n, port);
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

  // For the peer-only tests: no records saved, none kept from a load.
  SnapshotSaved save(const MemoryStore& s, core::Seconds now, std::uint64_t unix_now) {
    return save_snapshot(path_, s, MemoryRecordStore(RecordLimits{}), now, unix_now);
  }
  SnapshotLoaded load(MemoryStore& s, core::Seconds now, std::uint64_t unix_now) {
    MemoryRecordStore records(RecordLimits{});
    return load_snapshot(path_, s, records, now, unix_now, ttl);
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

  auto saved = save(a, now, written);
  ASSERT_TRUE(saved.ok) << saved.error;
  EXPECT_EQ(saved.torrents, 2u);
  EXPECT_EQ(saved.peers, 43u);
  EXPECT_EQ(files(), std::vector<std::string>{"state.bin"});  // no temporary left

  // A new process: its clock reads something else; 5 s of downtime.
  MemoryStore b(Limits{ttl});
  const core::Seconds later = 200;
  auto loaded = load(b, later, written + 5);
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
  ASSERT_TRUE(save(a, now, written).ok);

  MemoryStore b(Limits{ttl});
  const core::Seconds later = 500;
  auto loaded = load(b, later, written + 20);
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
  ASSERT_TRUE(save(a, 1000, written).ok);
  MemoryStore b(Limits{ttl});
  auto loaded = load(b, 300, written - 3600);
  EXPECT_EQ(loaded.peers, 1u);
  EXPECT_EQ(contents(b).peers.at(hash_of(1)).begin()->second.last_seen, 290u);
}

TEST_F(SnapshotFile, StoreLimitsApply) {
  MemoryStore a(Limits{ttl});
  std::vector<StoredPeer> peers;
  for (std::uint32_t i = 0; i < 5; ++i) peers.push_back(stored(i, i == 4, 1000));
  for (std::uint32_t t = 0; t < 3; ++t) a.restore_swarm(hash_of(t), t, peers);
  ASSERT_TRUE(save(a, 1000, written).ok);

  MemoryStore b(Limits{ttl, 2, 3});  // two torrents of three peers
  auto loaded = load(b, 1000, written);
  EXPECT_EQ(loaded.torrents, 2u);
  EXPECT_EQ(loaded.peers, 6u);
  EXPECT_EQ(loaded.over_limit, 9u);  // two from each kept torrent, five of the refused one
  EXPECT_EQ(b.stats().torrents, 2u);
}

TEST_F(SnapshotFile, MissingFile) {
  MemoryStore b(Limits{ttl});
  auto loaded = load(b, 1000, written);
  EXPECT_EQ(loaded.status, SnapshotLoaded::Status::missing);
  EXPECT_TRUE(loaded.error.empty());
}

TEST_F(SnapshotFile, DamagedFilesRestoreNothing) {
  MemoryStore a(Limits{ttl});
  a.restore_swarm(hash_of(1), 4, std::vector{stored(1, false, 1000), stored(2, true, 1000)});
  ASSERT_TRUE(save(a, 1000, written).ok);
  std::ifstream in(path_, std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), {});

  auto load_text = [&](const std::string& bytes) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
    MemoryStore b(Limits{ttl});
    auto loaded = load(b, 1000, written);
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
  auto saved = save_snapshot((fs::path(dir_) / "no" / "state.bin").string(), a,
                             MemoryRecordStore(RecordLimits{}), 1000, written);
  EXPECT_FALSE(saved.ok);
  EXPECT_FALSE(saved.error.empty());
}

// --- rendezvous records ---

core::TopicId topic_of(std::uint32_t n) { return test::id_of<core::TopicId>(n); }

core::RecordId record_id(std::uint32_t n, bool key) {
  return key ? test::key_id_of(n) : test::unsigned_id_of(n);
}

// Record n: signed when odd, IPv6 source when a multiple of 3.
store::RecordPut record_put(std::uint32_t topic, std::uint32_t n, core::Seconds now,
                            core::Seconds record_ttl, std::string_view body = "body") {
  store::RecordPut p;
  p.topic = topic_of(topic);
  p.id = record_id(n, n % 2 == 1);
  p.source = endpoint_of(n, n % 3 == 0).address;
  p.body = body;
  if (p.id.is_public_key()) {
    p.seq = 1000 + n;
    p.signature.fill(static_cast<std::uint8_t>(n));
  }
  p.now = now;
  p.ttl = record_ttl;
  return p;
}

// Peers and records in one file, as the server saves them: everything comes
// back, each time moved to the new clock and back by the 5 s of downtime.
TEST_F(SnapshotFile, RecordsRoundTripWithTheirTimesAndSeqs) {
  MemoryStore peers_a(Limits{ttl});
  const core::Seconds now = 10'000;
  ASSERT_EQ(*peers_a.restore_swarm(hash_of(1), 3, std::vector{stored(1, false, now - 10)}), 1u);
  MemoryRecordStore a(RecordLimits{});
  const std::string body("\x01\x00\x05:7000\0x", 9);
  for (std::uint32_t t = 0; t < 10; ++t)
    for (std::uint32_t i = 0; i <= t % 4; ++i)
      ASSERT_TRUE(a.put(record_put(t, t * 10 + i, now - 100 * i, 3600, body)).has_value());
  ASSERT_TRUE(a.remove(topic_of(1), record_id(11, true), {}, 2000, now - 50).has_value());

  auto saved = save_snapshot(path_, peers_a, a, now, written);
  ASSERT_TRUE(saved.ok) << saved.error;
  EXPECT_EQ(saved.torrents, 1u);
  EXPECT_EQ(saved.topics, 10u);
  EXPECT_EQ(saved.records, 22u);
  EXPECT_EQ(saved.tombstones, 1u);

  MemoryStore peers_b(Limits{ttl});
  MemoryRecordStore b(RecordLimits{});
  const core::Seconds later = 4000;
  auto loaded = load_snapshot(path_, peers_b, b, later, written + 5, ttl);
  ASSERT_EQ(loaded.status, SnapshotLoaded::Status::restored) << loaded.error;
  EXPECT_EQ(loaded.peers, 1u);
  EXPECT_EQ(loaded.topics, 10u);
  EXPECT_EQ(loaded.records, 22u);
  EXPECT_EQ(loaded.records_expired, 0u);
  EXPECT_EQ(loaded.records_over_limit, 0u);

  const auto before = contents(a), after = contents(b);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [topic, c] : before) {
    const TopicContents& back = after.at(topic);
    ASSERT_EQ(back.records.size(), c.records.size());
    for (std::size_t i = 0; i < c.records.size(); ++i) {
      const store::StoredRecord &p = c.records[i], &q = back.records[i];  // same order
      EXPECT_EQ(q.id, p.id);
      EXPECT_EQ(q.source, p.source);
      EXPECT_EQ(q.body, body);
      EXPECT_EQ(q.seq, p.seq);
      EXPECT_EQ(q.signature, p.signature);
      EXPECT_EQ(later - q.registered, now - p.registered + 5) << "age plus downtime";
      EXPECT_EQ(q.expires_at - later, p.expires_at - now - 5) << "remaining less downtime";
    }
    ASSERT_EQ(back.tombstones.size(), c.tombstones.size());
    for (std::size_t i = 0; i < c.tombstones.size(); ++i) {
      EXPECT_EQ(back.tombstones[i].id, c.tombstones[i].id);
      EXPECT_EQ(back.tombstones[i].seq, 2000u);
      EXPECT_EQ(back.tombstones[i].until - later, c.tombstones[i].until - now - 5);
    }
  }
  // And they behave as they did: owners, seqs and tombstones hold.
  EXPECT_TRUE(b.put(record_put(0, 0, later, 600)).has_value());  // its owner renews
  auto other = record_put(2, 20, later, 600);
  other.source = endpoint_of(99, false).address;
  EXPECT_EQ(b.put(other).error(), store::RecordStoreError::not_owner);
  EXPECT_EQ(b.put(record_put(2, 21, later, 600)).error(), store::RecordStoreError::stale_sequence);
  auto replay = record_put(1, 11, later, 600);
  replay.seq = 2000;
  EXPECT_EQ(b.put(replay).error(), store::RecordStoreError::stale_sequence);
}

TEST_F(SnapshotFile, RecordsUsedUpByTheDowntimeAreDropped) {
  MemoryRecordStore a(RecordLimits{});
  const core::Seconds now = 5000;
  // Remaining at writing: 10, 20 and 21 s in topic 1; 20 s alone in topic 2.
  ASSERT_TRUE(a.put(record_put(1, 0, now - 50, 60)).has_value());
  ASSERT_TRUE(a.put(record_put(1, 2, now, 20)).has_value());
  ASSERT_TRUE(a.put(record_put(1, 4, now, 21)).has_value());
  ASSERT_TRUE(a.put(record_put(2, 6, now, 20)).has_value());
  // A tombstone with 15 s left, one with 25.
  ASSERT_TRUE(a.put(record_put(3, 1, now - 100, 100)).has_value());
  ASSERT_TRUE(a.remove(topic_of(3), record_id(1, true), {}, 5000, now - 3585).has_value());
  ASSERT_TRUE(a.put(record_put(3, 3, now - 100, 100)).has_value());
  ASSERT_TRUE(a.remove(topic_of(3), record_id(3, true), {}, 5000, now - 3575).has_value());
  ASSERT_TRUE(save_snapshot(path_, MemoryStore(Limits{ttl}), a, now, written).ok);

  MemoryStore peers(Limits{ttl});
  MemoryRecordStore b(RecordLimits{});
  const core::Seconds later = 300;
  auto loaded = load_snapshot(path_, peers, b, later, written + 20, ttl);
  EXPECT_EQ(loaded.records, 1u);
  EXPECT_EQ(loaded.records_expired, 3u);
  EXPECT_EQ(loaded.topics, 1u);
  EXPECT_EQ(b.stats().topics, 2u);  // topic 1, and topic 3 for its tombstone
  EXPECT_EQ(b.stats().records, 1u);
  EXPECT_EQ(b.stats().tombstones, 1u);
  // The survivor has its one second left, the tombstone its five.
  EXPECT_EQ(b.expire(later), 0u);
  EXPECT_EQ(b.expire(later + 1), 1u);
  auto replay = record_put(3, 3, later + 4, 100);
  replay.seq = 5000;
  EXPECT_EQ(b.put(replay).error(), store::RecordStoreError::stale_sequence);
  replay.now = later + 5;
  EXPECT_TRUE(b.put(replay).has_value());
}

// The server's clock starts at peer_ttl + 1 s; a record registered longer
// ago than that (TTLs reach an hour) keeps its expiry, but its
// registration reads as the clock's zero.
TEST_F(SnapshotFile, RegistrationBeforeTheClocksStartReadsAsZero) {
  MemoryRecordStore a(RecordLimits{});
  ASSERT_TRUE(a.put(record_put(1, 0, 1000, 3600)).has_value());
  ASSERT_TRUE(save_snapshot(path_, MemoryStore(Limits{ttl}), a, 4000, written).ok);
  MemoryStore peers(Limits{ttl});
  MemoryRecordStore b(RecordLimits{});
  ASSERT_EQ(load_snapshot(path_, peers, b, 2701, written + 10, ttl).records, 1u);
  const auto r = contents(b).at(topic_of(1)).records.at(0);
  EXPECT_EQ(r.registered, 0u);  // 3010 s ago on a clock at 2701
  EXPECT_EQ(r.expires_at, 2701u + 600 - 10);
}

TEST_F(SnapshotFile, RecordStoreCapsApply) {
  MemoryRecordStore a(RecordLimits{});
  for (std::uint32_t t = 0; t < 3; ++t)
    for (std::uint32_t i = 0; i < 4; ++i)
      ASSERT_TRUE(a.put(record_put(t, t * 10 + i * 2, 1000, 600)).has_value());
  ASSERT_TRUE(save_snapshot(path_, MemoryStore(Limits{ttl}), a, 1000, written).ok);
  RecordLimits small;
  small.max_topics = 2;
  small.max_records_per_topic = 3;
  MemoryStore peers(Limits{ttl});
  MemoryRecordStore b(small);
  auto loaded = load_snapshot(path_, peers, b, 1000, written, ttl);
  EXPECT_EQ(loaded.topics, 2u);
  EXPECT_EQ(loaded.records, 6u);
  EXPECT_EQ(loaded.records_over_limit, 6u);  // one from each kept topic, four of the refused one
}

// A file from before records (format version 1) restores its peers.
TEST_F(SnapshotFile, Version1FilesRestoreTheirPeers) {
  codec::snapshot::Snapshot snap;
  snap.written_at = written;
  snap.torrents.push_back({{hash_of(1), 4}, {{endpoint_of(1, false), {}, true, false, 10}}});
  std::vector<std::uint8_t> bytes = codec::snapshot::encode(snap);
  bytes[8] = 1;  // version 1 has no record counts in its trailer
  bytes.erase(bytes.end() - codec::snapshot::checksum_size - 24,
              bytes.end() - codec::snapshot::checksum_size);
  const std::size_t hashed = bytes.size() - codec::snapshot::checksum_size;
  crypto_generichash(bytes.data() + hashed, codec::snapshot::checksum_size, bytes.data(), hashed,
                     nullptr, 0);
  std::ofstream(path_, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  MemoryStore peers(Limits{ttl});
  MemoryRecordStore records(RecordLimits{});
  auto loaded = load_snapshot(path_, peers, records, 1000, written, ttl);
  ASSERT_EQ(loaded.status, SnapshotLoaded::Status::restored) << loaded.error;
  EXPECT_EQ(loaded.peers, 1u);
  EXPECT_EQ(ok(peers.scrape(hash_of(1))).downloaded, 4u);
  EXPECT_EQ(loaded.records, 0u);
  EXPECT_EQ(records.stats().topics, 0u);
}

// restore_swarm itself: merged counts, a big swarm in both families, and
// peers that behave as announced ones afterwards.
TEST(RestoreSwarm, BigSwarmBothFamilies) {
  MemoryStore s(Limits{ttl});
  std::vector<StoredPeer> peers;
  for (std::uint32_t i = 0; i < 3000; ++i)
    peers.push_back(stored(i * 7919 % 3000, i % 2 == 1, 1000 - i % 60, i % 10 == 0));
  ASSERT_EQ(*s.restore_swarm(hash_of(1), 12, peers), 3000u);
  const auto counts = ok(s.scrape(hash_of(1)));
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
  EXPECT_EQ(ok(s.scrape(hash_of(1))).downloaded, 6u);
  EXPECT_EQ(*s.restore_swarm(hash_of(1), 2, peers), 0u);  // already full; count kept
  EXPECT_EQ(ok(s.scrape(hash_of(1))).downloaded, 6u);
  EXPECT_EQ(*s.restore_swarm(hash_of(2), 0, {}), 0u);
  EXPECT_EQ(s.stats().torrents, 1u);
}

// Stores that keep their state elsewhere, as a Redis backend will: they
// offer no snapshots.
struct RemotePeers final : store::PeerStore {
  core::Result<store::SwarmCounts, store::StoreError> announce(const store::Announce&,
                                                               core::PeerList&) override {
    return store::SwarmCounts{};
  }
  store::Counted lookup(const store::Lookup&, core::PeerList& out) const override {
    out.clear();
    return store::SwarmCounts{};
  }
  store::Counted scrape(const core::InfoHash&) const override { return store::SwarmCounts{}; }
  std::uint64_t expire(core::Seconds) override { return 0; }
  store::StoreStats stats() const override { return {}; }
  void list_swarms(const SwarmPage&) const override {}  // holds no swarm
};
struct RemoteRecords final : store::RecordStore {
  core::Result<std::uint64_t, store::RecordStoreError> put(const store::RecordPut&) override {
    return 1u;
  }
  core::Result<void, store::RecordStoreError> remove(const core::TopicId&, const core::RecordId&,
                                                     const core::Address&, std::uint64_t,
                                                     core::Seconds) override {
    return {};
  }
  core::Result<std::uint64_t, store::RecordStoreError> lookup(const core::TopicId&, std::uint64_t,
                                                              const Visitor&) const override {
    return std::uint64_t{0};
  }
  std::uint64_t expire(core::Seconds) override { return 0; }
  store::RecordStats stats() const override { return {}; }
  std::uint32_t epoch() const override { return 1; }
};

// What require_snapshots says, "" if it accepts.
std::string refusal(store::PeerStore& peers, store::RecordStore& records) {
  try {
    require_snapshots(peers, records, "remote");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(RequireSnapshots, AStoreWithoutThemRefusesTheStateFile) {
  MemoryStore peers(Limits{});
  MemoryRecordStore records(RecordLimits{});
  RemotePeers remote_peers;
  RemoteRecords remote_records;
  EXPECT_EQ(refusal(peers, records), "");
  const std::string expected =
      "server.state_file (--state) is set, but store.backend \"remote\" keeps its state outside "
      "this process, which has none to save; remove server.state_file, or use store.backend "
      "\"memory\"";
  EXPECT_EQ(refusal(remote_peers, records), expected);
  EXPECT_EQ(refusal(peers, remote_records), expected);
}

}  // namespace
}  // namespace cairn::server
