#pragma once
// The process's memory as the kernel sees it, for the memory cap
// (tracker::MemoryGuard), and the one malloc setting the store relies on.
#include <cstdint>

namespace cairn::server {

// Resident bytes of this process now (from /proc/self/statm); 0 if unknown.
std::uint64_t resident_bytes();

// Hands the heap's free pages back to the kernel (malloc_trim), so what
// expiry freed shows in resident_bytes(): the cap measures the process,
// and glibc keeps freed memory mapped for reuse.
void release_free_memory();

// One malloc arena for every thread; call before starting any. glibc gives
// each thread an arena of its own, and memory freed into one arena is only
// reused by allocations from it: when the housekeeping thread compacts a
// shard's block pool after expiry, its fresh chunks would come from its own
// arena while the workers' arenas keep the old ones, so the store's
// footprint would grow by up to a copy of itself (measured: +34 MiB for a
// moment over a 57 MiB store as a flood expired). The store and the
// listeners allocate only now and then, never per request, so the shared
// arena's lock is not contended.
void use_one_malloc_arena();

}  // namespace cairn::server
