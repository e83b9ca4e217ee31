// Resident memory per peer of MemoryStore: inserts N IPv4 peers over T
// torrents whose sizes follow a Zipf law (most torrents hold one or two
// peers, a few thousand hold most of them), in random order, and prints the
// growth of the process's resident set divided by N. Then re-announces
// every peer once with numwant 50 and prints the time per announce.
//
//   store_memory [peers=1000000] [torrents=100000] [zipf_exponent=1.0]
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <vector>

#include "store/memory/memory_store.hpp"

namespace {

using cairn::store::Announce;
using cairn::store::MemoryStore;

// Bytes malloc has handed out and not had back, without the allocator's
// free space. Large swarm blocks the store maps itself (big_block.hpp) are
// not in it.
long malloc_in_use() {
#ifdef __GLIBC__
  const struct mallinfo2 mi = mallinfo2();
  return static_cast<long>(mi.uordblks + mi.hblkhd);
#else
  return 0;
#endif
}

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

// Torrent index of each peer: every torrent gets one peer, the rest go by
// Zipf weight 1/rank^s; shuffled so swarms grow interleaved, as in life.
std::vector<std::uint32_t> zipf_assignment(std::uint32_t peers, std::uint32_t torrents, double s) {
  std::vector<double> weight(torrents);
  double total = 0;
  for (std::uint32_t r = 0; r < torrents; ++r) total += weight[r] = std::pow(r + 1.0, -s);
  std::vector<std::uint32_t> of_peer;
  of_peer.reserve(peers);
  const double extra = peers - torrents;
  double cumulative = 0;  // rounding the running sum keeps the total exact
  for (std::uint32_t r = 0; r < torrents; ++r) {
    const auto from = static_cast<std::uint32_t>(std::lround(extra * cumulative / total));
    cumulative += weight[r];
    const auto to = static_cast<std::uint32_t>(std::lround(extra * cumulative / total));
    of_peer.insert(of_peer.end(), 1 + to - from, r);
  }
  std::shuffle(of_peer.begin(), of_peer.end(), std::mt19937_64(1));
  return of_peer;
}

Announce peer_announce(std::uint32_t i, const cairn::core::InfoHash& ih, std::uint32_t numwant) {
  Announce a;
  a.info_hash = ih;
  for (std::size_t b = 0; b < a.peer_id.bytes.size(); ++b) {
    a.peer_id.bytes[b] = static_cast<std::uint8_t>(mix(i + (b / 8) * 0x1000000) >> (8 * (b % 8)));
  }
  const std::uint32_t addr = i * 2654435761u;  // a bijection: distinct, scattered addresses
  const std::uint8_t bytes[4] = {
      static_cast<std::uint8_t>(addr >> 24), static_cast<std::uint8_t>(addr >> 16),
      static_cast<std::uint8_t>(addr >> 8), static_cast<std::uint8_t>(addr)};
  a.endpoint = {cairn::core::Address::v4(bytes), static_cast<std::uint16_t>(1024 + i % 60000)};
  a.seeder = i % 3 == 0;
  a.numwant = numwant;
  a.now = 1000;
  a.random = mix(i);
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const auto peers =
      static_cast<std::uint32_t>(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1'000'000);
  const auto torrents =
      static_cast<std::uint32_t>(argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 100'000);
  const double exponent = argc > 3 ? std::strtod(argv[3], nullptr) : 1.0;
  if (torrents == 0 || peers < torrents) {
    std::fprintf(stderr, "need peers >= torrents > 0\n");
    return 2;
  }
  const auto of_peer = zipf_assignment(peers, torrents, exponent);
  std::vector<cairn::core::InfoHash> hashes(torrents);
  for (std::uint32_t t = 0; t < torrents; ++t) {
    for (std::size_t b = 0; b < hashes[t].bytes.size(); ++b) {
      hashes[t].bytes[b] = static_cast<std::uint8_t>(mix(t * 3 + b / 8) >> (8 * (b % 8)));
    }
  }
  cairn::core::PeerList out;

  const long before = resident_bytes(), in_use_before = malloc_in_use();
  MemoryStore store(cairn::store::Limits{});
  for (std::uint32_t i = 0; i < peers; ++i)
    (void)store.announce(peer_announce(i, hashes[of_peer[i]], 0), out);
  const long after = resident_bytes(), in_use_after = malloc_in_use();
  const auto st = store.stats();
  std::printf("largest torrent %zu peers\n",
              static_cast<std::size_t>(std::count(of_peer.begin(), of_peer.end(), 0u)));
  std::printf(
      "torrents %llu, peers %llu, seeders %llu\n", static_cast<unsigned long long>(st.torrents),
      static_cast<unsigned long long>(st.peers_v4), static_cast<unsigned long long>(st.seeders));
  std::printf("resident growth %.1f MiB, %.2f bytes/peer\n",
              static_cast<double>(after - before) / 1048576.0,
              static_cast<double>(after - before) / peers);
  std::printf("malloc in use %.2f bytes/peer (without the store's own page mappings)\n",
              static_cast<double>(in_use_after - in_use_before) / peers);

  const auto pools = store.pool_bytes();
  std::printf("small swarm pools: %.2f bytes/peer live, %.2f free\n",
              static_cast<double>(pools.live) / peers, static_cast<double>(pools.free) / peers);

  const auto start = std::chrono::steady_clock::now();
  std::size_t returned = 0;
  for (std::uint32_t i = 0; i < peers; ++i) {
    (void)store.announce(peer_announce(i, hashes[of_peer[i]], 50), out);
    returned += out.view().size();
  }
  const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  std::printf("re-announce, numwant 50, one thread: %.0f ns each, %.1f peers returned on average\n",
              took.count() / peers, static_cast<double>(returned) / peers);
  return 0;
}
