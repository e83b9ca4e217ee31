#include "load/workload.hpp"

#include <algorithm>
#include <cmath>

#include "core/random.hpp"

namespace cairn::load {

namespace {

void put64(std::uint8_t* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) out[i] = static_cast<std::uint8_t>(v);
}

// Distinct streams of derived values for hashes, peer ids and seeder flags.
constexpr std::uint64_t kHashStream = 0x6861736800000000;
constexpr std::uint64_t kPeerStream = 0x7065657200000000;
constexpr std::uint64_t kSeedStream = 0x7365656400000000;

}  // namespace

Workload::Workload(const WorkloadShape& shape) : shape_(shape), hashes_(shape.torrents) {
  // The first 16 bytes look random (trackers shard on them); the last four
  // are the index, so no two hashes can collide.
  for (std::uint32_t i = 0; i < shape.torrents; ++i) {
    auto& b = hashes_[i].bytes;
    put64(b.data(), mix64(shape.seed ^ kHashStream ^ (2ull * i)));
    put64(b.data() + 8, mix64(shape.seed ^ kHashStream ^ (2ull * i + 1)));
    put32(b.data() + 16, i);
  }
  assign_torrents();
}

// With cover_all, peer i < torrents goes to torrent i, so every torrent has a peer; the rest
// follow a Zipf law over torrent rank (rank = index: the hashes are random).
void Workload::assign_torrents() {
  torrent_of_.resize(shape_.peers);
  std::uint32_t direct = shape_.cover_all ? std::min(shape_.peers, shape_.torrents) : 0;
  for (std::uint32_t p = 0; p < direct; ++p) torrent_of_[p] = p;
  if (shape_.peers == direct || shape_.torrents == 0) return;
  std::vector<double> cdf(shape_.torrents);
  double sum = 0;
  for (std::uint32_t r = 0; r < shape_.torrents; ++r)
    cdf[r] = sum += std::pow(r + 1.0, -shape_.zipf);
  core::Rng rng(shape_.seed);
  for (std::uint32_t p = direct; p < shape_.peers; ++p) {
    double u = static_cast<double>(rng.next() >> 11) * 0x1p-53 * sum;
    auto at = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
    torrent_of_[p] = static_cast<std::uint32_t>(std::min<std::ptrdiff_t>(at, shape_.torrents - 1));
  }
}

bool Workload::seeder(std::uint32_t peer) const {
  double u = static_cast<double>(mix64(shape_.seed ^ kSeedStream ^ peer) >> 11) * 0x1p-53;
  return u < shape_.seeders;
}

// Azureus-style "-CN0001-" prefix, then the index (unique), then noise.
core::PeerId Workload::peer_id(std::uint32_t peer) const {
  core::PeerId id;
  static constexpr char kPrefix[] = "-CN0001-";
  std::copy(kPrefix, kPrefix + 8, id.bytes.begin());
  put32(id.bytes.data() + 8, peer);
  put64(id.bytes.data() + 12, mix64(shape_.seed ^ kPeerStream ^ peer));
  return id;
}

}  // namespace cairn::load
