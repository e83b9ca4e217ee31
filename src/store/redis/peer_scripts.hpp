#pragma once
// The Lua scripts of RedisPeerStore: one per operation, so each announce or
// scrape of one swarm is one round trip, and everything a script touches
// is in one slot (the swarm's keys and its slot's bookkeeping).
//
// Keys (NS is the store's namespace, H the info hash in hex, T the slot's
// tag from slot_tag()):
//   NS:s{H}  hash: s = seeders, d = downloads (`completed` events), e = when
//            the swarm's key TTLs were last set, n4 / n6 = its IPv4 / IPv6
//            peers (HLEN of NS:4 / NS:6), x = its score in NS:x{T} as it
//            last set it (a re-announce trims only when that is due)
//   NS:4{H}  hash: IPv4 peers, 6-byte compact endpoint (the wire form) -> 20-byte peer id,
//            a flags byte (1: seeder, 2: its download was counted), then
//            its record number in NS:p4{H}, in decimal
//   NS:6{H}  hash: IPv6 peers, 18-byte compact endpoint -> the same (in NS:p6{H})
//   NS:p4{H} string: the IPv4 peers packed, record i = bytes 6i to 6i + 5,
//            the compact endpoint; records 0 to n4 - 1 live, bytes past
//            them left over from removals (the last record fills a
//            removed one's place); the draw is a GETRANGE of a run
//   NS:p6{H} string: the IPv6 peers the same way, 18-byte records
//   NS:t{H}  sorted set: every peer's endpoint, scored by its last announce
//   NS:x{T}  sorted set: the slot's swarms (H), scored by when a peer of it
//            is next due to expire (now, for an empty one)
//   NS:c{T}  hash: the slot's counts: torrents, v4, v6, seeders; expired =
//            peers removed outside a sweep, not yet reported by expire()
// Every swarm key has a TTL of peer_ttl + grace, set when the key is made
// and again by an announce at most every grace / 2 (NS:s{H} field e says
// when it last was), so a swarm nobody sweeps or announces to any more
// goes by itself, and a busy swarm does not pay six EXPIREs an announce.
// NS:x{T}'s score for a swarm may be early (an announce never moves it
// later), never late: an early one costs a sweep visit that finds nothing.
#include "store/redis/link.hpp"

namespace cairn::store::redis {

// KEYS: NS:s{H} NS:x{T} NS:c{T}; the script names the swarm's other keys
//       (NS:4{H} NS:6{H} NS:t{H} NS:p4{H} NS:p6{H}: the same slot) itself
// ARGV: NS, H, endpoint, peer id, now (decimal), then the fixed fields
//       packed big-endian in one string: seven bytes (0/1: seeder, may
//       grow, may create the swarm, want v4, want v6, want ids; then the
//       event: 0 none, 1 completed, 2 started, 3 stopped) and five u32s
//       (numwant, peer_ttl, max peers, key TTL, random: 0 to 2^31 - 1,
//       the record each family's draw starts at, modulo its size)
// Reply: {status, seeders, leechers, downloads, created, dropped, due,
//         IPv4 entries, IPv4 ids, IPv6 entries, IPv6 ids}: the peers in
//         wire form (core/compact_peers.hpp), each family's compact
//         entries as one string and their 20-byte ids as another (empty
//         unless asked for), so a reply is copied, not decoded; the last
//         four only with status 0. Status 0 ok,
//         1 refused (no growth), 2 the swarm is new and may not be
//         created (the caller decides against its cap and asks again),
//         3 stopped for a swarm that does not exist (nothing done).
//         1 to 3 happen only when the swarm does not exist. dropped:
//         swarms of the slot this call found empty or gone. due: when
//         the slot next has work for a sweep (next_due in lua_common.hpp).
const Script& announce_script();

// Read-only: up to numwant peers drawn as announce draws them.
// KEYS: NS:s{H} NS:4{H} NS:6{H} NS:p4{H} NS:p6{H}
// ARGV: NS, numwant, want v4 (0/1), want v6 (0/1), want ids (0/1), random
//       (0 to 2^31 - 1: where each family's draw starts)
// Reply: {0, 0, 0} for an unknown swarm, else {seeders, leechers,
//        downloads, IPv4 entries, IPv4 ids, IPv6 entries, IPv6 ids}
const Script& peer_lookup_script();

// KEYS: NS:s{H}
// Reply: {seeders, peers, downloads}
const Script& scrape_script();

// One slot's sweep. KEYS: NS:x{T} NS:c{T}
// ARGV: NS, now, peer_ttl, swarms per call, peers per swarm and call
// Reply: {peers removed (with those removed outside sweeps since the last
//         one), swarms dropped, torrents now in the slot, more (0/1), due}
const Script& sweep_script();

}  // namespace cairn::store::redis
