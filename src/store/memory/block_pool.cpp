#include "store/memory/block_pool.hpp"

#include <cassert>
#include <cstdlib>

namespace cairn::store {

BlockPool::BlockPool(std::size_t first, std::size_t step, unsigned classes)
    : first_(first), step_(step), classes_(classes) {
  assert(classes > 0 && classes <= max_classes && first >= sizeof(void*) && first % 4 == 0 &&
         step % 4 == 0 && block_size(classes - 1) <= chunk_bytes);
}

BlockPool::~BlockPool() { free_chunks(chunks_); }

void BlockPool::reset() {
  cursor_ = end_ = nullptr;
  chunks_ = spare_ = nullptr;
  live_bytes_ = free_bytes_ = compacted_free_ = 0;
  free_.fill(nullptr);
}

// A chunk wastes less than its largest block at its end.
std::size_t BlockPool::chunks_for(std::size_t bytes) const {
  const std::size_t usable = chunk_bytes - block_size(classes_ - 1);
  return (bytes + usable - 1) / usable;
}

BlockPool::Chunk* BlockPool::new_chunks(std::size_t n) {
  Chunk* list = nullptr;
  for (std::size_t i = 0; i < n; ++i) {
    auto* c = static_cast<Chunk*>(std::malloc(sizeof(Chunk) + chunk_bytes));  // no-throw
    if (c == nullptr) {
      free_chunks(list);
      return nullptr;
    }
    c->next = list;
    list = c;
  }
  return list;
}

void BlockPool::free_chunks(Chunk* list) {
  while (list != nullptr) {
    Chunk* next = list->next;
    std::free(list);
    list = next;
  }
}

void BlockPool::push(void* block, unsigned c) {
  std::memcpy(block, &free_[c], sizeof(void*));  // blocks are only 4-byte aligned
  free_[c] = block;
  free_bytes_ += block_size(c);
}

void* BlockPool::allocate(unsigned c) {
  const std::size_t size = block_size(c);
  if (void* block = free_[c]) {
    std::memcpy(&free_[c], block, sizeof(void*));
    free_bytes_ -= size;
    live_bytes_ += size;
    return block;
  }
  if (static_cast<std::size_t>(end_ - cursor_) < size && !refill()) return nullptr;
  void* block = cursor_;
  cursor_ += size;
  live_bytes_ += size;
  return block;
}

void BlockPool::release(void* block, unsigned c) {
  live_bytes_ -= block_size(c);
  push(block, c);
}

// Starts the next chunk (one set aside by compact() while it runs); what is left of
// the current one becomes a free block of the largest class that fits.
bool BlockPool::refill() {
  Chunk* c = spare_;
  if (c != nullptr) {
    spare_ = c->next;
  } else if ((c = new_chunks(1)) == nullptr) {
    return false;
  }
  const auto left = static_cast<std::size_t>(end_ - cursor_);
  if (left >= first_)
    push(cursor_,
         static_cast<unsigned>(std::min<std::size_t>((left - first_) / step_, classes_ - 1)));
  c->next = chunks_;
  chunks_ = c;
  cursor_ = data(c);
  end_ = cursor_ + chunk_bytes;
  return true;
}

}  // namespace cairn::store
