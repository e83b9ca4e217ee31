#include "store/memory/big_block.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace cairn::store::big_block {
namespace {

bool mapped(std::size_t bytes) { return bytes >= map_threshold; }

void* map(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

void* allocate(std::size_t bytes) { return mapped(bytes) ? map(bytes) : std::malloc(bytes); }

void release(void* block, std::size_t bytes) {
  if (mapped(bytes)) {
    munmap(block, bytes);
  } else {
    std::free(block);
  }
}

void* resize(void* block, std::size_t old_bytes, std::size_t new_bytes) {
  if (mapped(old_bytes) && mapped(new_bytes)) {
    void* p = mremap(block, old_bytes, new_bytes, MREMAP_MAYMOVE);
    return p == MAP_FAILED ? nullptr : p;
  }
  if (!mapped(old_bytes) && !mapped(new_bytes)) return std::realloc(block, new_bytes);
  void* fresh = allocate(new_bytes);  // crossing the threshold: copy once
  if (fresh == nullptr) return nullptr;
  std::memcpy(fresh, block, std::min(old_bytes, new_bytes));
  release(block, old_bytes);
  return fresh;
}

}  // namespace cairn::store::big_block
