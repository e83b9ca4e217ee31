// The UDP frontends without sockets, through the server's dispatch table
// (server/frontends.cpp): a receive batch in, replies out. The announces
// of one batch reach the store in one announce_batch call; a scrape later
// in the same batch sees them; the access list refuses as the tracker does.
#include "frontend/udp_frontend.hpp"

#include <gtest/gtest.h>

#include <array>
#include <variant>
#include <vector>

#include "codec/rendezvous_udp.hpp"
#include "codec/stun.hpp"
#include "codec/udp_tracker.hpp"
#include "frontend/record_format.hpp"
#include "server/frontends.hpp"
#include "store/memory/memory_record_store.hpp"
#include "store/memory/memory_store.hpp"
#include "support/endpoints.hpp"

using namespace cairn;
namespace udp = codec::udp;

namespace {

// A memory store that counts the calls it is given.
class CountingStore final : public store::PeerStore {
 public:
  using store::PeerStore::announce;
  core::Result<store::SwarmCounts, store::StoreError> announce(const store::Announce& a,
                                                               core::PeerList& out) override {
    ++announces;
    return inner.announce(a, out);
  }
  void announce_batch(std::span<const store::Announce> batch, core::PeerList& out,
                      std::span<store::AnnounceResult> results) override {
    batch_sizes.push_back(batch.size());
    inner.announce_batch(batch, out, results);
    if (busy)
      for (auto& r : results) r.counts = store::StoreError::busy;
  }
  store::Counted lookup(const store::Lookup& l, core::PeerList& out) const override {
    return inner.lookup(l, out);
  }
  store::Counted scrape(const core::InfoHash& h) const override {
    ++scrapes;
    return inner.scrape(h);
  }
  void scrape_batch(std::span<const core::InfoHash> hashes,
                    std::span<store::Counted> counts) const override {
    scrape_batch_sizes.push_back(hashes.size());
    inner.scrape_batch(hashes, counts);
    if (busy)
      for (auto& c : counts) c = store::StoreError::busy;
  }
  std::uint64_t expire(core::Seconds now) override { return inner.expire(now); }
  store::StoreStats stats() const override { return inner.stats(); }
  void list_swarms(const SwarmPage& visit) const override { inner.list_swarms(visit); }

  store::MemoryStore inner{store::Limits{}};
  bool busy = false;  // every announce and scrape of a batch fails as busy
  unsigned announces = 0;
  std::vector<std::size_t> batch_sizes;
  mutable unsigned scrapes = 0;
  mutable std::vector<std::size_t> scrape_batch_sizes;
};

core::InfoHash hash_of(std::uint8_t n) {
  core::InfoHash h;
  h.bytes.fill(n);
  return h;
}

struct UdpFrontendTest : ::testing::Test {
  CountingStore peers;
  store::MemoryRecordStore records{store::RecordLimits{}};
  tracker::MemoryGuard memory;
  tracker::Tracker tracker{tracker::Policy{}, peers, memory};
  tracker::Rendezvous rendezvous{{}, records, memory, frontend::record_format()};
  tracker::AccessList access{tracker::AccessMode::blacklist, {hash_of(9)}};
  tracker::ConnectionIds ids;
  tracker::SignalingSwarms signaling{tracker::SignalingLimits{}};
  server::Frontends frontends{server::Config{}, tracker, rendezvous, ids, nullptr, signaling, 1};
  frontend::WorkerState state{1, tracker::RateLimitConfig{}, access};

  // One receive batch: each packet from its source, as the listener hands it.
  struct Batch {
    std::vector<std::array<std::uint8_t, 1500>> in;
    std::vector<std::array<std::uint8_t, 8192>> out;
    std::vector<frontend::Datagram> datagrams;

    void add(const core::Endpoint& from, auto encode) {
      in.emplace_back();
      out.emplace_back();
      sizes.push_back(encode(std::span<std::uint8_t>(in.back())));
      datagrams.push_back({{}, from, {}, 0});  // spans set by dispatch(): `in` may move
    }
    std::vector<std::size_t> sizes;
    udp::Response reply(std::size_t i) const {
      const auto& d = datagrams[i];
      EXPECT_GT(d.reply, 0u) << "datagram " << i << " was not answered";
      return *udp::parse_response(d.out.first(d.reply), d.from.family());
    }
  };

  void dispatch(Batch& batch) { dispatch(batch, frontends.datagrams()); }
  void dispatch(Batch& batch, const frontend::DatagramDispatcher& table) {
    for (std::size_t i = 0; i < batch.datagrams.size(); ++i) {
      batch.datagrams[i].in = std::span<const std::uint8_t>(batch.in[i].data(), batch.sizes[i]);
      batch.datagrams[i].out = std::span<std::uint8_t>(batch.out[i]);
    }
    table.dispatch(batch.datagrams, {100, 100'000, {}, state});
  }

  std::uint64_t connect(const core::Endpoint& from) {
    Batch b;
    b.add(from, [](auto out) { return udp::encode_connect_request(7, out); });
    dispatch(b);
    return std::get<udp::ConnectResponse>(b.reply(0)).connection_id;
  }

  static auto announce(std::uint64_t cid, std::uint8_t torrent, std::uint16_t port) {
    return [=](std::span<std::uint8_t> out) {
      udp::AnnounceRequest r;
      r.connection_id = cid;
      r.transaction_id = port;
      r.info_hash = hash_of(torrent);
      r.port = port;
      r.left = 1;
      return udp::encode_announce_request(r, out);
    };
  }
};

}  // namespace

TEST_F(UdpFrontendTest, AnnouncesOfABatchReachTheStoreInOneCall) {
  std::vector<core::Endpoint> from;
  std::vector<std::uint64_t> cids;
  for (std::uint32_t i = 1; i <= 5; ++i) {
    from.push_back(test::v4(i, 6881));
    cids.push_back(connect(from.back()));
  }
  Batch b;
  for (std::size_t i = 0; i < from.size(); ++i)
    b.add(from[i], announce(cids[i], 1, static_cast<std::uint16_t>(6881 + i)));
  dispatch(b);
  EXPECT_EQ(peers.batch_sizes, std::vector<std::size_t>{5});
  EXPECT_EQ(peers.announces, 0u);
  for (std::size_t i = 0; i < from.size(); ++i) {
    auto r = std::get<udp::AnnounceResponse>(b.reply(i));
    EXPECT_EQ(r.transaction_id, 6881 + i);
    EXPECT_EQ(r.interval, 1800u);
    EXPECT_EQ(r.leechers, i + 1) << "each announce sees those before it in the batch";
    EXPECT_EQ(r.peer_count(), i);
  }
  EXPECT_EQ(state.counters.udp.announces.load(), 5u);
  EXPECT_EQ(state.counters.udp.received.load(), 10u);
}

TEST_F(UdpFrontendTest, AScrapeSeesTheAnnouncesBeforeItInTheBatch) {
  const auto from = test::v4(1, 6881);
  const auto cid = connect(from);
  Batch b;
  b.add(from, announce(cid, 1, 6881));
  b.add(from, [&](auto out) {
    const std::array<core::InfoHash, 1> hashes{hash_of(1)};
    return udp::encode_scrape_request(cid, 3, hashes, out);
  });
  b.add(from, announce(cid, 1, 6882));
  dispatch(b);
  EXPECT_EQ(peers.batch_sizes, (std::vector<std::size_t>{1, 1}));
  auto scrape = std::get<udp::ScrapeResponse>(b.reply(1));
  EXPECT_EQ(scrape.at(0).leechers, 1u);
  EXPECT_EQ(std::get<udp::AnnounceResponse>(b.reply(2)).leechers, 2u);
}

// The hashes of one scrape reach the store in one scrape_batch call (a
// remote store pipelines it), the refused ones left out.
TEST_F(UdpFrontendTest, AMultiHashScrapeReachesTheStoreInOneCall) {
  const auto from = test::v4(1, 6881);
  const auto cid = connect(from);
  Batch b;
  b.add(from, announce(cid, 1, 6881));
  b.add(from, [&](auto out) {
    const std::array<core::InfoHash, 4> hashes{hash_of(1), hash_of(9), hash_of(2), hash_of(1)};
    return udp::encode_scrape_request(cid, 3, hashes, out);
  });
  dispatch(b);
  EXPECT_EQ(peers.scrape_batch_sizes, std::vector<std::size_t>{3});
  EXPECT_EQ(peers.scrapes, 0u);
  auto scrape = std::get<udp::ScrapeResponse>(b.reply(1));
  EXPECT_EQ(scrape.at(0).leechers, 1u);
  EXPECT_EQ(scrape.at(1).leechers, 0u);
  EXPECT_EQ(scrape.at(2).leechers, 0u);
  EXPECT_EQ(scrape.at(3).leechers, 1u);
  EXPECT_EQ(state.counters.tracker.torrents_refused.load(), 1u);
}

// A store that cannot answer now (a Redis cluster failing over) makes the
// announce's reply the fixed "tracker busy, retry", counted apart from
// "tracker is full".
TEST_F(UdpFrontendTest, ABusyStoreIsAnsweredTrackerBusyRetry) {
  const auto from = test::v4(1, 6881);
  const auto cid = connect(from);
  peers.busy = true;
  Batch b;
  b.add(from, announce(cid, 1, 6881));
  dispatch(b);
  EXPECT_EQ(std::get<udp::ErrorResponse>(b.reply(0)).message, "tracker busy, retry");
  EXPECT_EQ(state.counters.tracker.busy.load(), 1u);
  EXPECT_EQ(state.counters.tracker.full.load(), 0u);
}

TEST_F(UdpFrontendTest, ARefusedTorrentNeverReachesTheStore) {
  const auto from = test::v4(1, 6881);
  const auto cid = connect(from);
  Batch b;
  b.add(from, announce(cid, 9, 6881));  // blacklisted
  b.add(from, announce(cid, 1, 6881));
  b.add(from, [&](auto out) {
    const std::array<core::InfoHash, 2> hashes{hash_of(9), hash_of(1)};
    return udp::encode_scrape_request(cid, 3, hashes, out);
  });
  dispatch(b);
  EXPECT_EQ(std::get<udp::ErrorResponse>(b.reply(0)).message, "torrent not allowed");
  EXPECT_EQ(peers.batch_sizes, std::vector<std::size_t>{1});
  auto scrape = std::get<udp::ScrapeResponse>(b.reply(2));
  EXPECT_EQ(scrape.at(0).leechers, 0u) << "a refused torrent scrapes as zeros";
  EXPECT_EQ(scrape.at(1).leechers, 1u);
  EXPECT_EQ(state.counters.tracker.torrents_refused.load(), 2u);  // its announce and its scrape
}

TEST_F(UdpFrontendTest, WithoutAConnectionIdNothingReachesTheStore) {
  Batch b;
  b.add(test::v4(1), announce(12345, 1, 6881));
  dispatch(b);
  EXPECT_EQ(std::get<udp::ErrorResponse>(b.reply(0)).message, "invalid connection id");
  EXPECT_TRUE(peers.batch_sizes.empty());
  EXPECT_EQ(state.counters.udp.bad_connection_id.load(), 1u);
}

// A batch checks a source's connection id once (udp_frontend.cpp,
// LastValidId): what it remembers is the id with the address, so another
// id from that address, or that id from another address, is still refused.
TEST_F(UdpFrontendTest, AValidIdOfOneSourceVouchesForNothingElseInItsBatch) {
  const auto a = test::v4(1, 6881), b = test::v4(2, 6881);
  const std::uint64_t cid = connect(a);
  Batch batch;
  batch.add(a, announce(cid, 1, 6881));
  batch.add(a, announce(cid, 2, 6882));      // the same id again: taken
  batch.add(a, announce(cid ^ 1, 3, 6883));  // another id from a
  batch.add(b, announce(cid, 4, 6884));      // a's id from b
  batch.add(a, announce(cid, 5, 6885));
  dispatch(batch);
  EXPECT_EQ(std::get<udp::AnnounceResponse>(batch.reply(0)).transaction_id, 6881u);
  EXPECT_EQ(std::get<udp::AnnounceResponse>(batch.reply(1)).transaction_id, 6882u);
  EXPECT_EQ(std::get<udp::ErrorResponse>(batch.reply(2)).message, "invalid connection id");
  EXPECT_EQ(std::get<udp::ErrorResponse>(batch.reply(3)).message, "invalid connection id");
  EXPECT_EQ(std::get<udp::AnnounceResponse>(batch.reply(4)).transaction_id, 6885u);
  EXPECT_EQ(peers.batch_sizes, std::vector<std::size_t>{3});
  EXPECT_EQ(state.counters.udp.bad_connection_id.load(), 2u);
}

// Actions 16-19 go to the rendezvous entry, which sits before BEP 15 in
// the table; with the API off it is not registered, and BEP 15 answers
// them as the unknown actions they then are (unanswered here: the error
// would be larger than the 16-byte request).
TEST_F(UdpFrontendTest, RendezvousActionsGoToTheRendezvousEntryOnlyWhileItIsOn) {
  const auto from = test::v4(1, 6881);
  const auto cid = connect(from);
  auto whoami = [&](std::span<std::uint8_t> out) {
    return codec::rvudp::encode_whoami_request({cid, 5}, out);
  };
  Batch b;
  b.add(from, whoami);
  dispatch(b);
  auto reply = codec::rvudp::parse_response(b.datagrams[0].out.first(b.datagrams[0].reply));
  ASSERT_TRUE(reply);
  EXPECT_EQ(std::get<codec::rvudp::WhoamiResponse>(*reply).observed, from);

  tracker::RendezvousPolicy off;
  off.enabled = false;
  tracker::Rendezvous disabled{off, records, memory, frontend::record_format()};
  server::Frontends without{server::Config{}, tracker, disabled, ids, nullptr, signaling, 1};
  Batch c;
  c.add(from, whoami);
  EXPECT_EQ(state.counters.udp.malformed.load(), 0u);
  dispatch(c, without.datagrams());
  EXPECT_EQ(c.datagrams[0].reply, 0u);
  EXPECT_EQ(state.counters.udp.malformed.load(), 1u);
}

// STUN is registered before BEP 15 (server/frontends.cpp): a Binding
// request gets its XOR-MAPPED-ADDRESS; with nat.stun off it is garbage to
// BEP 15, which drops it unanswered.
TEST_F(UdpFrontendTest, StunBindingIsAnsweredBeforeBep15UnlessOff) {
  const auto from = test::v4(7, 40000);
  const codec::stun::TransactionId txid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  auto binding = [&](auto out) { return codec::stun::encode_binding_request(txid, out); };
  Batch b;
  b.add(from, binding);
  dispatch(b);
  ASSERT_GT(b.datagrams[0].reply, 0u);
  auto answer = codec::stun::parse_binding_answer(b.datagrams[0].out.first(b.datagrams[0].reply));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->transaction_id, txid);
  EXPECT_EQ(answer->xor_mapped, from);
  EXPECT_EQ(state.counters.stun.requests.load(), 1u);

  server::Config off;
  off.stun = frontend::StunMode::off;
  server::Frontends without{off, tracker, rendezvous, ids, nullptr, signaling, 1};
  Batch silent;
  silent.add(from, binding);
  dispatch(silent, without.datagrams());
  EXPECT_EQ(silent.datagrams[0].reply, 0u);
  EXPECT_EQ(state.counters.stun.requests.load(), 1u);
}
