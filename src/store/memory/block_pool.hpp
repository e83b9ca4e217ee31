#pragma once
// BlockPool: the memory of one shard's small swarm blocks. Most torrents
// hold a few peers, so per-block costs dominate: malloc adds an 8-byte
// header and rounds to 16, and a swarm that grows one record at a time
// leaves holes of every size behind it. The pool carves blocks of a few
// fixed sizes (class c is `first + step * c` bytes, no header, 4-byte
// aligned) out of chunks it mallocs, and keeps freed blocks on one free list
// per class, so a join and a leave cost a list push and pop.
//
// Free lists alone would hoard: as swarms grow, blocks of the small classes
// pile up that only new swarms can reuse (a simulation of the Zipf preload
// in bench/store_memory left ~7.8 bytes per peer on them). So when the
// blocks freed since the last compaction exceed 1/40 of the live bytes (and
// 512 bytes), the owner calls compact(), which copies every live block into fresh chunks, packed,
// and frees the old ones; the owner knows where the handles are and updates them as the pool moves
// each block. A compaction copies the whole pool under the shard's lock: ~50 KB, a few
// microseconds, at 1M peers in 256 shards.
//
// Not thread-safe: the owning shard's lock guards it.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace cairn::store {

class BlockPool {
 public:
  static constexpr unsigned max_classes = 32;

  BlockPool(std::size_t first, std::size_t step, unsigned classes);
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  std::size_t block_size(unsigned c) const { return first_ + step_ * c; }
  unsigned classes() const { return classes_; }

  // A block of class c; nullptr if memory ran out.
  void* allocate(unsigned c);
  void release(void* block, unsigned c);

  // Free bytes beyond what the last compaction left (the ends of its
  // chunks, where the next block did not fit: another compaction would
  // leave as much again, so they do not count) exceed the threshold.
  bool wants_compaction() const {
    return free_bytes_ > compacted_free_ + std::max(live_bytes_ / 40, min_slack);
  }

  // Packs every live block into fresh chunks and frees the old ones.
  // `for_each_live(move)` must call `move(block, c)` once for every live
  // block and store the address it returns in place of `block`. Does
  // nothing if memory ran out.
  template <class ForEachLive>
  void compact(ForEachLive&& for_each_live) {
    Chunk* fresh = new_chunks(chunks_for(live_bytes_));
    if (fresh == nullptr && live_bytes_ != 0) return;
    Chunk* old = chunks_;
    reset();
    spare_ = fresh;
    for_each_live([&](const void* block, unsigned c) -> void* {
      void* to = allocate(c);  // from `fresh`, which has room for all
      std::memcpy(to, block, block_size(c));
      return to;
    });
    free_chunks(old);
    free_chunks(spare_);  // the estimate's excess
    spare_ = nullptr;
    compacted_free_ = free_bytes_;
  }

  // Bytes in live blocks, and in freed ones waiting for reuse.
  std::size_t live_bytes() const { return live_bytes_; }
  std::size_t free_bytes() const { return free_bytes_; }

 private:
  // Below this much free space a shard's pool is too small to be worth
  // compacting.
  static constexpr std::size_t min_slack = 512;

  // Every chunk has one size, 2 KiB with malloc's header, so chunks freed by
  // one shard's compaction fit the next chunk any shard asks for and the
  // heap does not fragment; the unused end of a shard's newest chunk
  // averages 1 KiB.
  struct Chunk {
    Chunk* next;
  };
  static constexpr std::size_t chunk_bytes = 2048 - 16 - sizeof(Chunk);
  static std::uint8_t* data(Chunk* c) { return reinterpret_cast<std::uint8_t*>(c + 1); }
  // Chunks that surely hold `bytes` of blocks, each block whole.
  std::size_t chunks_for(std::size_t bytes) const;
  // A list of n new chunks; nullptr if memory ran out (or n is 0).
  static Chunk* new_chunks(std::size_t n);
  static void free_chunks(Chunk* list);
  void reset();  // to empty, without freeing
  bool refill();
  void push(void* block, unsigned c);

  std::size_t first_, step_;
  unsigned classes_;
  std::uint8_t* cursor_ = nullptr;  // the unused end of the newest chunk
  std::uint8_t* end_ = nullptr;
  Chunk* chunks_ = nullptr;  // in use, newest first
  Chunk* spare_ = nullptr;   // set aside for compact() to fill
  std::size_t live_bytes_ = 0, free_bytes_ = 0;
  std::size_t compacted_free_ = 0;         // free_bytes_ right after the last compact()
  std::array<void*, max_classes> free_{};  // heads; a free block starts with the next one's address
};

}  // namespace cairn::store
