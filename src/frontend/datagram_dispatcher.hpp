#pragma once
// UDP demultiplexing: a table of (matcher, handler), tried in the order
// they were added; the first entry whose matcher takes a datagram gets it.
// The server builds the table in one place (server/frontends.cpp); the
// order there and why is in docs/architecture.md ("Plugging in").
//
// Every datagram is counted and passes the admission step (the source's
// rate limit) before it is matched: a source over its limit is dropped
// unanswered, since replying would let a spoofed flood use the tracker as
// a reflector. A datagram no entry takes is counted as malformed and
// dropped.
#include <array>
#include <span>

#include "frontend/datagram.hpp"

namespace cairn::frontend {

class DatagramDispatcher {
 public:
  static constexpr std::size_t kMaxEntries = 8;

  // Adds an entry after those already added; `handler` must outlive this.
  // Throws std::length_error beyond kMaxEntries (at start-up).
  void add(const DatagramMatcher& matcher, const DatagramHandler& handler);

  // Sets the reply of every datagram of `batch` (at most kMaxBatch).
  void dispatch(std::span<Datagram> batch, const tracker::RequestContext& ctx) const;

 private:
  struct Entry {
    DatagramMatcher matcher;
    const DatagramHandler* handler = nullptr;
  };
  std::array<Entry, kMaxEntries> entries_{};
  std::size_t size_ = 0;
};

}  // namespace cairn::frontend
