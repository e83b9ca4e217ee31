// Store construction: the factory's backends run the shared contract
// suites, an unknown backend is refused by name, and PeerStore's default
// batch (for a backend that does not override it) keeps the contract too.
#include "store/store_factory.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "record_store_suite.hpp"
#include "store_suite.hpp"

namespace cairn::store::testing {
namespace {

StoreConfig backend(std::string name) {
  StoreConfig c;
  c.backend = std::move(name);
  return c;
}

// A store that forwards every call but the batch to the memory store, so
// the suite runs PeerStore's own announce_batch and scrape_batch.
class DefaultBatchStore final : public PeerStore {
 public:
  explicit DefaultBatchStore(const Limits& limits)
      : inner_(make_peer_store(backend("memory"), limits)) {}
  using PeerStore::announce;
  core::Result<SwarmCounts, StoreError> announce(const Announce& a, core::PeerList& out) override {
    return inner_->announce(a, out);
  }
  Counted lookup(const Lookup& l, core::PeerList& out) const override {
    return inner_->lookup(l, out);
  }
  Counted scrape(const core::InfoHash& info_hash) const override {
    return inner_->scrape(info_hash);
  }
  std::uint64_t expire(core::Seconds now) override { return inner_->expire(now); }
  StoreStats stats() const override { return inner_->stats(); }
  void list_swarms(const SwarmPage& visit) const override { inner_->list_swarms(visit); }

 private:
  std::unique_ptr<PeerStore> inner_;
};

INSTANTIATE_TEST_SUITE_P(
    Factory, StoreSuite,
    ::testing::Values(StoreBackend{"memory",
                                   [](const Limits& limits) {
                                     return make_peer_store(backend("memory"), limits);
                                   }},
                      StoreBackend{"default_batch",
                                   [](const Limits& limits) -> std::unique_ptr<PeerStore> {
                                     return std::make_unique<DefaultBatchStore>(limits);
                                   }}),
    store_backend_name);

INSTANTIATE_TEST_SUITE_P(Factory, RecordStoreSuite,
                         ::testing::Values(RecordStoreBackend{"memory",
                                                              [](const RecordLimits& limits) {
                                                                return make_record_store(
                                                                    backend("memory"), limits);
                                                              }}),
                         record_store_backend_name);

TEST(StoreFactory, MemoryIsTheDefaultAndOffersSnapshots) {
  EXPECT_EQ(StoreConfig{}.backend, "memory");
  EXPECT_TRUE(is_backend("memory"));
  EXPECT_NE(make_peer_store(StoreConfig{}, Limits{})->snapshots(), nullptr);
  EXPECT_NE(make_record_store(StoreConfig{}, RecordLimits{})->snapshots(), nullptr);
}

TEST(StoreFactory, AnUnknownBackendIsRefusedByName) {
  EXPECT_FALSE(is_backend("redis-typo"));
  EXPECT_FALSE(is_backend(""));
  EXPECT_EQ(backend_choices(), "\"memory\", \"redis\"");
  for (auto make : {+[] { (void)make_peer_store(backend("redis-typo"), Limits{}); },
                    +[] { (void)make_record_store(backend("redis-typo"), RecordLimits{}); }}) {
    try {
      make();
      ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(),
                   "unknown store backend \"redis-typo\" (expected \"memory\", \"redis\")");
    }
  }
}

// The factory makes the cluster client from the [store] section; without
// seed nodes it says which setting is missing.
TEST(StoreFactory, RedisNeedsSeedNodes) {
  EXPECT_TRUE(is_backend("redis"));
  for (auto make : {+[] { (void)make_peer_store(backend("redis"), Limits{}); },
                    +[] { (void)make_record_store(backend("redis"), RecordLimits{}); }}) {
    try {
      make();
      ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(),
                   "store.backend \"redis\" needs store.redis_nodes (or --redis HOST:PORT,...)");
    }
  }
}

}  // namespace
}  // namespace cairn::store::testing
