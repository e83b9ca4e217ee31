#pragma once
// The simulated swarm population, a pure function of the seed: which info
// hashes exist, which torrent each peer is in (Zipf popularity, every torrent
// at least one peer), each peer's id, endpoint and seeder flag. The same
// seed gives every tracker under test the same workload.
#include <cstdint>
#include <vector>

#include "core/ids.hpp"

namespace cairn::load {

struct WorkloadShape {
  std::uint64_t seed = 1;
  std::uint32_t torrents = 0;
  std::uint32_t peers = 0;
  double zipf = 1.0;
  std::uint32_t addresses = 1;  // source addresses the peers are spread over
  double seeders = 0.3;
  // Every torrent gets a peer before the Zipf draw (trackers then hold the
  // whole hash list). Off for WebSocket peers: with as many peers as
  // torrents it would leave every swarm a single peer, with no one to offer to.
  bool cover_all = true;
};

// Peer p sends from source address p % addresses with port 1 + p / addresses,
// so (address, port) is unique as long as peers <= addresses * 65535.
class Workload {
 public:
  explicit Workload(const WorkloadShape& shape);

  static std::uint32_t max_peers(std::uint32_t addresses) { return addresses * 65535u; }

  std::uint32_t torrent_count() const { return static_cast<std::uint32_t>(hashes_.size()); }
  std::uint32_t peer_count() const { return static_cast<std::uint32_t>(torrent_of_.size()); }
  std::uint32_t address_count() const { return shape_.addresses; }

  const core::InfoHash& hash(std::uint32_t torrent) const { return hashes_[torrent]; }
  std::uint32_t torrent_of(std::uint32_t peer) const { return torrent_of_[peer]; }
  std::uint32_t address_of(std::uint32_t peer) const { return peer % shape_.addresses; }
  std::uint16_t port_of(std::uint32_t peer) const {
    return static_cast<std::uint16_t>(1 + peer / shape_.addresses);
  }
  bool seeder(std::uint32_t peer) const;
  core::PeerId peer_id(std::uint32_t peer) const;  // computed, not stored: 20 MB saved

 private:
  void assign_torrents();

  WorkloadShape shape_;
  std::vector<core::InfoHash> hashes_;
  std::vector<std::uint32_t> torrent_of_;
};

// A stateless 64-bit mix (splitmix64 finaliser): deterministic per-index values.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

}  // namespace cairn::load
