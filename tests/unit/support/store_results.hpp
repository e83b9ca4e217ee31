#pragma once
// The stores' results in tests: gtest printers (Boost's operator<< for a
// result cannot print these values), and the counts of a read that must
// have succeeded, as a failure rather than a crash when it did not.
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>

#include "store/peer_store.hpp"
#include "store/record_store.hpp"

namespace cairn::store {

inline void PrintTo(const SwarmCounts& c, std::ostream* os) {
  *os << "{seeders " << c.seeders << ", leechers " << c.leechers << ", downloaded " << c.downloaded
      << "}";
}

inline void PrintTo(const Counted& c, std::ostream* os) {
  if (c) return PrintTo(*c, os);
  *os << "store error " << static_cast<int>(c.error());
}

inline void PrintTo(const core::Result<std::uint64_t, RecordStoreError>& r, std::ostream* os) {
  if (r) {
    *os << *r;
    return;
  }
  *os << "record store error " << static_cast<int>(r.error());
}

// The counts of a read that must have worked; zeros, and a test failure,
// if it did not.
inline SwarmCounts ok(const Counted& c) {
  if (c) return *c;
  ADD_FAILURE() << "the store failed a read (error " << static_cast<int>(c.error()) << ")";
  return {};
}

// The same for a record look-up's highest version.
inline std::uint64_t ok(const core::Result<std::uint64_t, RecordStoreError>& r) {
  if (r) return *r;
  ADD_FAILURE() << "the record store failed a look-up (error " << static_cast<int>(r.error())
                << ")";
  return 0;
}

}  // namespace cairn::store
