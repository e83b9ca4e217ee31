// Micro-benchmarks of MemoryStore: announce into small swarms (many torrents
// of 1-2 peers, the common case) and large ones (10k, 100k peers), as a
// re-announce of a known peer and as a new peer joining then stopping;
// scrape; the expiry sweep over 1M peers; announces from 2 threads; a
// receive batch of re-announces through announce_batch. Stores are built
// once per shape, outside the timed loops, and reused by every benchmark
// of that shape (each timed step leaves the store as it found it).
// Each benchmark reports operations per second (items/s).
//
// Selection cost: the re-announce benchmarks run with numwant 0 and 50; the
// difference is what picking and copying 50 peers costs.
//
//   store_bench [--benchmark_filter=REGEX]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "store/memory/memory_store.hpp"

namespace {

using cairn::core::Address;
using cairn::core::InfoHash;
using cairn::store::Announce;
using cairn::store::Limits;
using cairn::store::MemoryStore;

constexpr cairn::core::Seconds kNow = 1000;

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

InfoHash hash_of(std::uint64_t t) {
  InfoHash h;
  for (std::size_t b = 0; b < h.bytes.size(); ++b)
    h.bytes[b] = static_cast<std::uint8_t>(mix(t * 3 + b / 8) >> (8 * (b % 8)));
  return h;
}

// Peer j of a swarm at IPv4 address 10.0.0.0 + 4j: peers built in order of j
// append to the swarm's sorted array, so even a 100k swarm builds quickly;
// 4j + 2 are free addresses spread over the whole array, for joiners.
Announce announce_of(const InfoHash& ih, std::uint32_t addr_index, std::uint32_t numwant) {
  Announce a;
  a.info_hash = ih;
  for (std::size_t b = 0; b < a.peer_id.bytes.size(); ++b)
    a.peer_id.bytes[b] =
        static_cast<std::uint8_t>(mix(addr_index + b / 8 * 0x100000000) >> (b % 8 * 8));
  const std::uint32_t addr = 0x0a000000u + addr_index;
  const std::uint8_t bytes[4] = {
      static_cast<std::uint8_t>(addr >> 24), static_cast<std::uint8_t>(addr >> 16),
      static_cast<std::uint8_t>(addr >> 8), static_cast<std::uint8_t>(addr)};
  a.endpoint = {Address::v4(bytes), 6881};
  a.seeder = addr_index % 3 == 0;
  a.numwant = numwant;
  a.want_v6 = false;  // as a UDP v4 socket asks
  a.want_peer_ids = false;
  a.now = kNow;
  a.random = mix(addr_index ^ 0x5555);
  return a;
}

// A store holding `torrents` swarms of `per_torrent` peers each.
struct Population {
  std::unique_ptr<MemoryStore> store;
  std::vector<InfoHash> hashes;
  std::uint32_t per_torrent = 0;
};

Limits bench_limits() {
  Limits l;
  l.max_peers_per_torrent = 1'000'000;  // room for a joiner in the 100k swarm
  return l;
}

const Population& population(std::uint32_t torrents, std::uint32_t per_torrent) {
  static std::mutex mutex;  // threaded benchmarks ask from every thread
  static std::map<std::pair<std::uint32_t, std::uint32_t>, std::unique_ptr<Population>> cache;
  std::lock_guard lock(mutex);
  auto& slot = cache[{torrents, per_torrent}];
  if (slot) return *slot;
  slot = std::make_unique<Population>();
  slot->store = std::make_unique<MemoryStore>(bench_limits());
  slot->per_torrent = per_torrent;
  cairn::core::PeerList out;
  for (std::uint32_t t = 0; t < torrents; ++t) {
    slot->hashes.push_back(hash_of(t));
    for (std::uint32_t j = 0; j < per_torrent; ++j)
      (void)slot->store->announce(announce_of(slot->hashes.back(), 4 * j, 0), out);
  }
  return *slot;
}

// Every known peer once, in random order: swarms are visited as a real
// load visits them, not in memory order.
std::vector<Announce> reannounces(const Population& p, std::uint32_t numwant) {
  std::vector<Announce> list;
  for (const auto& h : p.hashes)
    for (std::uint32_t j = 0; j < p.per_torrent; ++j)
      list.push_back(announce_of(h, 4 * j, numwant));
  std::shuffle(list.begin(), list.end(), std::mt19937_64(42));
  return list;
}

// (join, stop) pairs of peers new to their swarm, landing at random
// positions in its sorted array.
std::vector<std::pair<Announce, Announce>> joiners(const Population& p, std::size_t count) {
  std::mt19937_64 rng(7);
  std::vector<std::pair<Announce, Announce>> list;
  for (std::size_t i = 0; i < count; ++i) {
    const InfoHash& h = p.hashes[rng() % p.hashes.size()];
    Announce join = announce_of(h, 4 * static_cast<std::uint32_t>(rng() % p.per_torrent) + 2, 50);
    join.event = cairn::core::Event::started;
    Announce stop = join;
    stop.event = cairn::core::Event::stopped;
    list.emplace_back(join, stop);
  }
  return list;
}

void run_reannounce(benchmark::State& state, std::uint32_t torrents, std::uint32_t per_torrent) {
  const Population& p = population(torrents, per_torrent);
  const auto list = reannounces(p, static_cast<std::uint32_t>(state.range(0)));
  cairn::core::PeerList out;
  std::size_t i = 0, returned = 0;
  for (auto _ : state) {
    auto r = p.store->announce(list[i], out);
    benchmark::DoNotOptimize(r);
    returned += out.view().size();
    if (++i == list.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["peers_out"] =
      static_cast<double>(returned) / static_cast<double>(state.iterations());
}

void run_join_stop(benchmark::State& state, std::uint32_t torrents, std::uint32_t per_torrent) {
  const Population& p = population(torrents, per_torrent);
  const auto list = joiners(p, 1 << 16);
  cairn::core::PeerList out;
  std::size_t i = 0;
  for (auto _ : state) {
    auto joined = p.store->announce(list[i].first, out);
    auto stopped = p.store->announce(list[i].second, out);
    benchmark::DoNotOptimize(joined);
    benchmark::DoNotOptimize(stopped);
    if (++i == list.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());  // one item: a join and its stop
}

// --- announce ---

void BM_reannounce_small(benchmark::State& state) {
  run_reannounce(state, 100'000, static_cast<std::uint32_t>(state.range(1)));
}
BENCHMARK(BM_reannounce_small)->ArgNames({"numwant", "swarm"})->ArgsProduct({{0, 50}, {1, 2}});

void BM_reannounce_large(benchmark::State& state) {
  run_reannounce(state, 1, static_cast<std::uint32_t>(state.range(1)));
}
BENCHMARK(BM_reannounce_large)
    ->ArgNames({"numwant", "swarm"})
    ->ArgsProduct({{0, 50}, {10'000, 100'000}});

void BM_join_stop_small(benchmark::State& state) {
  run_join_stop(state, 100'000, static_cast<std::uint32_t>(state.range(0)));
}
BENCHMARK(BM_join_stop_small)->ArgName("swarm")->Arg(1)->Arg(2);

void BM_join_stop_large(benchmark::State& state) {
  run_join_stop(state, 1, static_cast<std::uint32_t>(state.range(0)));
}
BENCHMARK(BM_join_stop_large)->ArgName("swarm")->Arg(10'000)->Arg(100'000);

// A UDP receive batch's worth (64) of re-announces into small swarms as one
// announce_batch call; compare items/s with BM_reannounce_small.
void BM_reannounce_small_batch(benchmark::State& state) {
  constexpr std::size_t kBatch = 64;
  const Population& p = population(100'000, static_cast<std::uint32_t>(state.range(1)));
  const auto list = reannounces(p, static_cast<std::uint32_t>(state.range(0)));
  cairn::core::PeerList out;
  std::vector<cairn::store::AnnounceResult> results(kBatch);
  std::size_t i = 0;
  for (auto _ : state) {
    p.store->announce_batch(std::span(list).subspan(i, kBatch), out, results);
    benchmark::DoNotOptimize(results.data());
    i += kBatch;
    if (i + kBatch > list.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_reannounce_small_batch)
    ->ArgNames({"numwant", "swarm"})
    ->ArgsProduct({{0, 50}, {1, 2}});

// --- scrape ---

void BM_scrape(benchmark::State& state) {
  const Population& p = population(100'000, 2);
  auto order = p.hashes;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(3));
  std::size_t i = 0;
  for (auto _ : state) {
    auto c = p.store->scrape(order[i]);
    benchmark::DoNotOptimize(c);
    if (++i == order.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_scrape);

// --- expiry ---

// 1M peers, two per torrent: one last seen at kNow, the other at kNow +
// `later`. A sweep at kNow + ttl removes the first of each pair when
// `later` > 0, nothing when it is 0 and the sweep runs a second early.
std::unique_ptr<MemoryStore> million(cairn::core::Seconds later) {
  auto store = std::make_unique<MemoryStore>(bench_limits());
  cairn::core::PeerList out;
  for (std::uint32_t t = 0; t < 500'000; ++t) {
    const InfoHash h = hash_of(t);
    (void)store->announce(announce_of(h, 0, 0), out);
    Announce second = announce_of(h, 4, 0);
    second.now += later;
    (void)store->announce(second, out);
  }
  return store;
}

// The steady state: the cleaner walks every peer and finds nothing to drop.
void BM_expire_sweep_none(benchmark::State& state) {
  auto store = million(0);
  const cairn::core::Seconds before_ttl = kNow + bench_limits().peer_ttl - 1;
  for (auto _ : state) benchmark::DoNotOptimize(store->expire(before_ttl));
  state.SetItemsProcessed(state.iterations() * 1'000'000);  // peers examined
}
BENCHMARK(BM_expire_sweep_none)->Unit(benchmark::kMillisecond);

// Half the peers drop, every swarm shrinks from two records to one.
void BM_expire_sweep_half(benchmark::State& state) {
  const cairn::core::Seconds at_ttl = kNow + bench_limits().peer_ttl;
  for (auto _ : state) {
    state.PauseTiming();
    auto store = million(600);
    state.ResumeTiming();
    benchmark::DoNotOptimize(store->expire(at_ttl));
    state.PauseTiming();
    store.reset();  // freeing the store is not the sweep's cost
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * 1'000'000);
}
BENCHMARK(BM_expire_sweep_half)->Unit(benchmark::kMillisecond)->Iterations(3);

// --- threads ---

// The timed loop of the threaded benchmarks: each thread re-announces its
// own list in turn.
void reannounce_in_turn(benchmark::State& state, MemoryStore& store,
                        const std::vector<Announce>& list) {
  cairn::core::PeerList out;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(store.announce(list[i], out));
    if (++i == list.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

// Each thread re-announces the peers of its own torrents (t % threads ==
// thread index): different swarms, mostly different shards. Run it on two
// cores (taskset -c 0,1): pinned to one core it measures time slicing.
void BM_reannounce_threads_distinct(benchmark::State& state) {
  const Population& p = population(100'000, 2);
  std::vector<Announce> list;
  const auto threads = static_cast<std::size_t>(state.threads());
  for (std::size_t t = static_cast<std::size_t>(state.thread_index()); t < p.hashes.size();
       t += threads)
    for (std::uint32_t j = 0; j < p.per_torrent; ++j)
      list.push_back(announce_of(p.hashes[t], 4 * j, 50));
  std::shuffle(list.begin(), list.end(), std::mt19937_64(state.thread_index()));
  reannounce_in_turn(state, *p.store, list);
}
BENCHMARK(BM_reannounce_threads_distinct)->Threads(1)->Threads(2)->UseRealTime();

// The contrast: both threads re-announce peers of one 1000-peer swarm, so
// every announce takes the same shard lock.
void BM_reannounce_threads_same_swarm(benchmark::State& state) {
  const Population& p = population(1, 1000);
  std::vector<Announce> list;
  for (std::uint32_t j = static_cast<std::uint32_t>(state.thread_index()); j < p.per_torrent;
       j += static_cast<std::uint32_t>(state.threads()))
    list.push_back(announce_of(p.hashes[0], 4 * j, 50));
  reannounce_in_turn(state, *p.store, list);
}
BENCHMARK(BM_reannounce_threads_same_swarm)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
