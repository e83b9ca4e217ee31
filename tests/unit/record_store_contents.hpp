#pragma once
// A MemoryRecordStore's contents by topic, as for_each hands them over, for
// tests that compare two stores (restore, snapshots).
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "store/memory/memory_record_store.hpp"

namespace cairn::store::testing {

struct TopicContents {
  std::vector<StoredRecord> records;  // in version order
  std::vector<RecordTombstone> tombstones;
};

inline std::map<core::TopicId, TopicContents> contents(const MemoryRecordStore& s) {
  std::map<core::TopicId, TopicContents> out;
  s.for_each([&](const core::TopicId& t, std::span<const StoredRecord> records,
                 std::span<const RecordTombstone> tombstones) {
    EXPECT_FALSE(out.count(t)) << "a topic visited twice";
    out[t] = {{records.begin(), records.end()}, {tombstones.begin(), tombstones.end()}};
  });
  return out;
}

}  // namespace cairn::store::testing
