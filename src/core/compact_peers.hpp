#pragma once
// Peers in the form replies carry them, so that building a reply is a copy.
//
// For each family, the compact entries of BEP 23 (`peers`), BEP 7
// (`peers6`) and BEP 15 back to back: the address (4 or 16 bytes), then the
// port, big-endian; 6 bytes per IPv4 peer, 18 per IPv6 peer. Beside them,
// only where a reply lists peer ids (the HTTP dictionary form), each
// entry's 20-byte peer id in the same order; otherwise no ids at all.
//
// A store appends to a PeerList; a codec reads a CompactPeers view of it.
// Both are plain bytes, so a store whose state lives elsewhere (a Redis
// script returning one string of entries per family and one of ids) fills
// a PeerList with one copy per string and no decoding.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/peer.hpp"

namespace cairn::core {

// Families index the arrays below: 0 = IPv4, 1 = IPv6.
constexpr int family_index(Family f) { return f == Family::v4 ? 0 : 1; }
constexpr std::size_t compact_size(Family f) { return f == Family::v4 ? 6 : 18; }

// A read-only view of some peers; what a codec copies.
struct CompactPeers {
  std::span<const std::uint8_t> entries[2];  // compact entries, [IPv4, IPv6]
  std::span<const std::uint8_t> ids[2];      // PeerId::size bytes per entry, or empty

  std::span<const std::uint8_t> compact(Family f) const { return entries[family_index(f)]; }
  std::size_t count(Family f) const { return compact(f).size() / compact_size(f); }
  std::size_t size() const { return count(Family::v4) + count(Family::v6); }
  bool empty() const { return entries[0].empty() && entries[1].empty(); }
  bool has_ids(Family f) const { return !ids[family_index(f)].empty(); }

  Endpoint endpoint(Family f, std::size_t i) const;
  // All zero when the view carries no ids.
  PeerId peer_id(Family f, std::size_t i) const;
  // Decoded, IPv4 first: for tests and tools, not for the hot path.
  std::vector<PeerInfo> decode() const;
};

// A growable buffer of peers in the layout above, reused across requests
// (a worker's scratch): once warm, appending allocates nothing. Appended
// room is not initialized; whoever asks for it writes all of it.
class PeerList {
 public:
  PeerList() = default;
  // Every peer with its id, in order within each family (tests, benches).
  explicit PeerList(std::span<const PeerInfo> peers);

  void clear();
  CompactPeers view() const { return between({}, mark()); }

  // A position in the buffer: a batch of announces appends one after
  // another, and each keeps where its peers began and ended.
  struct Mark {
    std::uint32_t entry_bytes[2] = {0, 0};
    std::uint32_t id_bytes[2] = {0, 0};
    friend bool operator==(const Mark&, const Mark&) = default;
  };
  Mark mark() const;
  CompactPeers between(const Mark& from, const Mark& to) const;

  // Room for `n` more entries of family `f`, and for their ids when
  // `with_ids`; `ids` is null otherwise.
  struct Room {
    std::uint8_t* entries;
    std::uint8_t* ids;
  };
  Room append(Family f, std::size_t n, bool with_ids);
  // Room may be written up to kSpare bytes past its end (the next room
  // overwrites them), so a copy loop can move a 6-byte IPv4 entry as one
  // 8-byte word (store/memory/swarm.cpp, Swarm::take).
  static constexpr std::size_t kSpare = 8;
  void push_back(const PeerInfo& peer, bool with_id);

 private:
  // Bytes that grow without being zeroed first.
  class Bytes {
   public:
    std::uint8_t* extend(std::size_t n) {
      if (n + kSpare > capacity_ - size_) grow(size_ + n + kSpare);
      std::uint8_t* at = data_.get() + size_;
      size_ += n;
      return at;
    }
    void clear() { size_ = 0; }
    std::size_t size() const { return size_; }
    std::span<const std::uint8_t> span(std::size_t from, std::size_t to) const {
      return {data_.get() + from, to - from};
    }

   private:
    void grow(std::size_t needed);
    std::unique_ptr<std::uint8_t[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
  };

  Bytes entries_[2];
  Bytes ids_[2];
};

// Inline: a batch of announces calls these for every request (the UDP hot
// path, docs/benchmarks.md).
inline PeerList::Mark PeerList::mark() const {
  Mark m;
  for (int f = 0; f < 2; ++f) {
    m.entry_bytes[f] = static_cast<std::uint32_t>(entries_[f].size());
    m.id_bytes[f] = static_cast<std::uint32_t>(ids_[f].size());
  }
  return m;
}

inline CompactPeers PeerList::between(const Mark& from, const Mark& to) const {
  CompactPeers v;
  for (int f = 0; f < 2; ++f) {
    v.entries[f] = entries_[f].span(from.entry_bytes[f], to.entry_bytes[f]);
    v.ids[f] = ids_[f].span(from.id_bytes[f], to.id_bytes[f]);
  }
  return v;
}

inline PeerList::Room PeerList::append(Family f, std::size_t n, bool with_ids) {
  const int i = family_index(f);
  std::uint8_t* entries = entries_[i].extend(n * compact_size(f));
  return {entries, with_ids ? ids_[i].extend(n * PeerId::size) : nullptr};
}

}  // namespace cairn::core
