// The accounting state machine (tracker/accounting.hpp): baseline,
// deltas, counter resets, snatches, stops and expiry; and the worker's
// side of private mode (tracker/private_mode.hpp): the snapshot view and
// the bounded record buffer.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "tracker/accounting.hpp"
#include "tracker/private_mode.hpp"

using namespace cairn;
using namespace cairn::tracker;
using core::Event;

namespace {

core::InfoHash hash(std::uint8_t b) {
  core::InfoHash h;
  h.bytes.fill(b);
  return h;
}
core::PeerId peer(std::uint8_t b) {
  core::PeerId p;
  p.bytes.fill(b);
  return p;
}

AnnounceRecord at(std::uint64_t up, std::uint64_t down, Event e = Event::none, UserId user = 1,
                  std::uint8_t torrent = 1, std::uint8_t peer_byte = 1) {
  return {user, e, hash(torrent), peer(peer_byte), up, down, 100};
}

}  // namespace

TEST(Ledger, FirstAnnounceSetsTheBaselineWithoutCredit) {
  Ledger l;
  EXPECT_TRUE(l.apply(at(1000, 500), 10).empty());
  const Credit c = l.apply(at(1600, 800), 20);
  EXPECT_EQ(c.uploaded, 600u);
  EXPECT_EQ(c.downloaded, 300u);
  EXPECT_EQ(c.snatches, 0u);
}

TEST(Ledger, StartedResetsTheBaseline) {
  Ledger l;
  l.apply(at(0, 0, Event::started), 1);
  EXPECT_EQ(l.apply(at(100, 50), 2).uploaded, 100u);
  // A new session that happens to report higher counters: no credit.
  EXPECT_TRUE(l.apply(at(5000, 5000, Event::started), 3).empty());
  EXPECT_EQ(l.apply(at(5010, 5020), 4).downloaded, 20u);
}

TEST(Ledger, CountersGoingDownResetWithoutCredit) {
  Ledger l;
  l.apply(at(1000, 1000), 1);
  EXPECT_TRUE(l.apply(at(10, 2000), 2).empty());  // uploaded went down
  const Credit c = l.apply(at(30, 2500), 3);      // from the new baseline
  EXPECT_EQ(c.uploaded, 20u);
  EXPECT_EQ(c.downloaded, 500u);
}

TEST(Ledger, CompletedIsOneSnatchPerPeer) {
  Ledger l;
  l.apply(at(0, 0, Event::started), 1);
  const Credit c = l.apply(at(10, 700, Event::completed), 2);
  EXPECT_EQ(c.snatches, 1u);
  EXPECT_EQ(c.downloaded, 700u);
  EXPECT_EQ(l.apply(at(20, 700, Event::completed), 3).snatches, 0u);  // repeated
  // Another peer of the same user and torrent snatches too.
  EXPECT_EQ(l.apply(at(0, 0, Event::completed, 1, 1, 2), 3).snatches, 1u);
}

TEST(Ledger, StoppedCreditsAndForgets) {
  Ledger l;
  l.apply(at(0, 0), 1);
  EXPECT_EQ(l.apply(at(40, 0, Event::stopped), 2).uploaded, 40u);
  EXPECT_EQ(l.peers(), 0u);
  EXPECT_TRUE(l.apply(at(90, 0), 3).empty());  // a fresh baseline
}

TEST(Ledger, KeysAreUserTorrentAndPeer) {
  Ledger l;
  l.apply(at(100, 0, Event::none, 1, 1, 1), 1);
  // Another user, torrent or peer id has a baseline of its own.
  EXPECT_TRUE(l.apply(at(500, 0, Event::none, 2, 1, 1), 1).empty());
  EXPECT_TRUE(l.apply(at(500, 0, Event::none, 1, 2, 1), 1).empty());
  EXPECT_TRUE(l.apply(at(500, 0, Event::none, 1, 1, 2), 1).empty());
  EXPECT_EQ(l.apply(at(150, 0, Event::none, 1, 1, 1), 2).uploaded, 50u);
}

TEST(Ledger, ActiveTorrentsPerUserAndExpiry) {
  Ledger l;
  l.apply(at(0, 0, Event::none, 1, 1, 1), 10);
  l.apply(at(0, 0, Event::none, 1, 1, 2), 10);  // same torrent, second peer
  l.apply(at(0, 0, Event::none, 1, 2, 1), 50);
  l.apply(at(0, 0, Event::none, 2, 1, 1), 50);
  std::map<UserId, std::uint32_t> active;
  l.each_active([&](UserId u, std::uint32_t n) { active[u] = n; });
  EXPECT_EQ(active, (std::map<UserId, std::uint32_t>{{1, 2}, {2, 1}}));
  EXPECT_EQ(l.expire(20), 2u);  // the two peers last seen at 10
  active.clear();
  l.each_active([&](UserId u, std::uint32_t n) { active[u] = n; });
  EXPECT_EQ(active, (std::map<UserId, std::uint32_t>{{1, 1}, {2, 1}}));
}

std::int64_t ticks() {
  static std::int64_t t = 0;
  return ++t;
}

TEST(PrivateWorker, SeesEachPublishedSnapshot) {
  PrivateDirectory dir;
  PrivateWorker w(dir, 16, &ticks);
  const auto key = *core::Passkey::parse("abcdefghijklmnopqrstuvwxyzAB-_45");
  EXPECT_EQ(w.user(key), nullptr);
  PrivateSnapshot s;
  s.users.emplace(key, 7);
  dir.publish(std::move(s));
  ASSERT_NE(w.user(key), nullptr);
  EXPECT_EQ(*w.user(key), 7u);
  EXPECT_TRUE(w.allows(hash(1)));  // no allow-list
  PrivateSnapshot listed;
  listed.allow_list = true;
  listed.torrents.insert(hash(2));
  dir.publish(std::move(listed));
  EXPECT_EQ(w.user(key), nullptr);  // disabled: gone from the snapshot
  EXPECT_FALSE(w.allows(hash(1)));
  EXPECT_TRUE(w.allows(hash(2)));
}

TEST(PrivateWorker, BufferIsBounded) {
  PrivateDirectory dir;
  PrivateWorker w(dir, 3, &ticks);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(w.record(at(static_cast<std::uint64_t>(i), 0)), i < 3);
  std::vector<AnnounceRecord> out;
  w.take(out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].uploaded, 2u);
  EXPECT_LT(out[0].at, out[1].at);  // stamped as kept
  w.record(at(9, 0));
  out.clear();
  w.take(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].uploaded, 9u);
}
