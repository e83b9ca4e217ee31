#pragma once
// The Lua scripts of RedisRecordStore: one per operation on one topic, all
// its keys and its slot's bookkeeping in one slot.
//
// Keys (NS the namespace, T the topic in hex, S the slot's tag):
//   NS:m{T}   hash: first, last = the versions the topic has given out
//   NS:r{T}   hash: record id (16 or 32 raw bytes) -> the record, packed:
//             source (a family byte, 4 or 6, and 16 address bytes), seq
//             (8 bytes, big-endian), signature (64), registered and
//             expires_at (8 bytes each, big-endian), then the body
//   NS:v{T}   sorted set: record id, scored by its version
//   NS:e{T}   sorted set: "r" + id scored by the record's expires_at,
//             "t" + id by its tombstone's end
//   NS:k{T}   hash: tombstones, record id -> the highest seq seen (8 bytes)
//   NS:rx{S}  sorted set: the slot's topics, scored by when something in
//             them is next due
//   NS:rc{S}  hash: the slot's counts: topics, records, tombstones;
//             expired = records removed outside a sweep, not yet reported
// The quota per source address lives elsewhere (NS:q{unit}, one key per
// address or /64, in its own slot): the store reserves a count there before
// a put that adds a record, and gives counts back when records go, so a
// put that adds a record costs three round trips and a renewal one.
#include "store/redis/link.hpp"

namespace cairn::store::redis {

// KEYS: NS:m NS:r NS:v NS:e NS:k {T}, NS:rx NS:rc {S}
// ARGV: NS, T, id, now, packed record, quota unit, seq (8 bytes),
//       expires_at, tombstone TTL, max records per topic, flags (1 may
//       grow, 2 may create the topic, 4 a quota count is reserved),
//       first version of a new topic, key TTL
// Reply: {status, version, reservation used (0/1), topics created,
//         topics dropped, unit the record moved from ("" if none), due
//         (as in lua_common.hpp), units of records that expired...}
//   status: 0 ok, 1 topic_full, 2 address_quota (unused here), 3
//   tracker_full, 4 not_owner, 5 stale_sequence, 6 not_found, 7 a quota
//   count is needed first.
const Script& put_script();

// KEYS as put. ARGV: NS, T, id, now, source (17 bytes, as packed), seq,
//   tombstone TTL, key TTL
// Reply: {status, 0, 0, 0, topics dropped, unit released ("" if none),
//         due, units of records that expired...}
const Script& remove_script();

// KEYS: NS:m NS:r NS:v {T}. ARGV: after (decimal), page size
// Reply: {last version, id, version, packed record, ...} (last 0: no topic)
const Script& lookup_script();

// One slot's sweep. KEYS: NS:rx NS:rc {S}. ARGV: NS, now, tombstone TTL,
//   topics per call
// Reply: {records removed (and those removed outside sweeps since the last
//         one), topics dropped, topics in the slot now, more (0/1), due,
//         units of the records removed...}
const Script& record_sweep_script();

// The quota. KEYS: NS:q{unit}. ARGV: most it may hold, key TTL.
// Reply: 1 counted, 0 full.
const Script& quota_take_script();
// KEYS: NS:q{unit}. Gives one count back.
const Script& quota_give_script();

}  // namespace cairn::store::redis
