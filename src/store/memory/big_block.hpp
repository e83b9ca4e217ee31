#pragma once
// Memory for large swarms' blocks: malloc below `map_threshold`, whole pages
// from mmap at or above it, grown and shrunk with mremap. glibc would mmap
// such blocks too, but it raises its threshold whenever the process frees
// an mmapped chunk (any chunk, anywhere); past that, a big swarm growing by
// realloc copies itself within the heap and leaves a hole of its old size
// each time: ~1 byte per peer in bench/store_memory, whose set-up frees
// such a chunk. Mapping them here keeps the store's footprint independent
// of what the rest of the process allocates.
//
// The threshold is lower than glibc's 128 KiB: a mapped block grows in place
// (mremap) and its untouched tail is not resident, while each realloc in the
// heap leaves a hole; bench/store_memory measured 34.8 bytes per peer at
// 128 KiB, 34.6 at 16-64 KiB and 34.8 at 8 KiB, where half a page per
// mapped swarm starts to cost more than the holes.
#include <cstddef>

namespace cairn::store::big_block {

inline constexpr std::size_t map_threshold = 32 * 1024;

// Each returns nullptr if memory ran out; `bytes` must be what the block was
// last allocated or resized to.
void* allocate(std::size_t bytes);
// Keeps the first min(old_bytes, new_bytes) bytes; on failure `block` is
// unchanged and still valid.
void* resize(void* block, std::size_t old_bytes, std::size_t new_bytes);
void release(void* block, std::size_t bytes);

}  // namespace cairn::store::big_block
