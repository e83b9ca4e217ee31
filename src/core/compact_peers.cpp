#include "core/compact_peers.hpp"

#include <algorithm>
#include <cstring>

namespace cairn::core {

Endpoint CompactPeers::endpoint(Family f, std::size_t i) const {
  const std::size_t address = compact_size(f) - 2;
  const std::uint8_t* e = compact(f).data() + i * compact_size(f);
  Endpoint out;
  out.address = f == Family::v4 ? Address::v4(std::span<const std::uint8_t, 4>(e, 4))
                                : Address::v6(std::span<const std::uint8_t, 16>(e, 16));
  out.port = static_cast<std::uint16_t>(e[address] << 8 | e[address + 1]);
  return out;
}

PeerId CompactPeers::peer_id(Family f, std::size_t i) const {
  if (!has_ids(f)) return {};
  return PeerId::from_bytes(std::span<const std::uint8_t, PeerId::size>(
      ids[family_index(f)].data() + i * PeerId::size, PeerId::size));
}

std::vector<PeerInfo> CompactPeers::decode() const {
  std::vector<PeerInfo> out;
  out.reserve(size());
  for (Family f : {Family::v4, Family::v6}) {
    for (std::size_t i = 0; i < count(f); ++i) out.push_back({endpoint(f, i), peer_id(f, i)});
  }
  return out;
}

PeerList::PeerList(std::span<const PeerInfo> peers) {
  for (const PeerInfo& p : peers) push_back(p, true);
}

void PeerList::clear() {
  for (int f = 0; f < 2; ++f) {
    entries_[f].clear();
    ids_[f].clear();
  }
}

void PeerList::push_back(const PeerInfo& peer, bool with_id) {
  const Room room = append(peer.endpoint.family(), 1, with_id);
  peer.endpoint.write_compact(room.entries);
  if (with_id) std::memcpy(room.ids, peer.peer_id.bytes.data(), PeerId::size);
}

void PeerList::Bytes::grow(std::size_t needed) {
  const std::size_t capacity = std::max({needed, 2 * capacity_, std::size_t{1024}});
  // Not zeroed: appended room is written by whoever asked for it.
  auto fresh = std::make_unique_for_overwrite<std::uint8_t[]>(capacity);
  if (size_ > 0) std::memcpy(fresh.get(), data_.get(), size_);
  data_ = std::move(fresh);
  capacity_ = capacity;
}

}  // namespace cairn::core
