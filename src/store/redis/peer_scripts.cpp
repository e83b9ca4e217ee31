#include "store/redis/peer_scripts.hpp"

#include <initializer_list>
#include <string>

#include "store/redis/lua_common.hpp"

namespace cairn::store::redis {

namespace {

// Shared by the scripts that change swarms. Each one is bounded: a trim
// removes at most `budget` peers, so no call holds Redis for long; the
// sweep comes back for the rest.
constexpr std::string_view kPrelude = R"lua(
local function is_seeder(v) return v ~= nil and v ~= false and string.byte(v, 21) % 2 == 1 end

-- A family's peers are a hash (compact endpoint -> 20-byte id, a mark
-- byte: 1 seeder, 2 counted as a download, then the peer's index in the
-- array as digits) and a packed array: every endpoint in wire form, one
-- record of #endpoint bytes each, records 0 to HLEN - 1 live (bytes past
-- them are left over from removals: a string cannot shrink). The draw
-- copies a run of it with one GETRANGE.
local function index_of(v) return tonumber(string.sub(v, 22)) end

-- Removes peer `ep` (its hash value `v`) from the family's hash `fam` and
-- array `arr`, which hold `n` peers: the last record moves into its place.
local function unlink(fam, arr, ep, v, n)
  local w, at, last = #ep, index_of(v), n - 1
  if at ~= last then
    local moved = redis.call('GETRANGE', arr, last * w, last * w + w - 1)
    redis.call('SETRANGE', arr, at * w, moved)
    redis.call('HSET', fam, moved, string.sub(redis.call('HGET', fam, moved), 1, 21) .. at)
  end
  redis.call('HDEL', fam, ep)
  if last == 0 then redis.call('DEL', arr) end
end

-- Removes up to `budget` of the swarm's peers last seen at or before
-- `cutoff`; returns how many, whether there may be more, and how many of
-- them were seeders, IPv4 and IPv6 peers.
local function trim(h, cutoff, budget, counters)
  local meta, times = key('s', h), key('t', h)
  local old = redis.call('ZRANGEBYSCORE', times, '-inf', cutoff, 'LIMIT', 0, budget)
  if #old == 0 then return 0, false, 0, 0, 0 end
  local family = {[6] = {key('4', h), key('p4', h)}, [18] = {key('6', h), key('p6', h)}}
  local v4, v6, seeders = 0, 0, 0
  for _, ep in ipairs(old) do
    local f = family[#ep]
    local held = f and redis.call('HGET', f[1], ep)
    if held then
      f[3] = f[3] or redis.call('HLEN', f[1])
      if is_seeder(held) then seeders = seeders + 1 end
      unlink(f[1], f[2], ep, held, f[3])
      f[3] = f[3] - 1
      if #ep == 6 then v4 = v4 + 1 else v6 = v6 + 1 end
    end
  end
  redis.call('ZREM', times, unpack(old))
  count(meta, 's', -seeders)
  count(meta, 'n4', -v4)
  count(meta, 'n6', -v6)
  count(counters, 'v4', -v4)
  count(counters, 'v6', -v6)
  count(counters, 'seeders', -seeders)
  return #old, #old == budget, seeders, v4, v6
end

-- Sets the swarm's score in the slot's index to when its oldest peer is
-- due, and keeps a copy in NS:s{H} field `x`, which an announce reads to
-- know whether the swarm has peers to trim.
local function reindex(index, h, ttl, now)
  local first = redis.call('ZRANGE', key('t', h), '0', '0', 'WITHSCORES')
  local due = first[2] and (tonumber(first[2]) + ttl) or now
  redis.call('ZADD', index, due, h)
  redis.call('HSET', key('s', h), 'x', due)
end

-- The slot's counts made again from its swarms, after keys went by their
-- TTL (no node swept for that long): forgets the swarms that are gone.
-- Returns how many were.
local function recount(index, counters)
  local torrents, v4, v6, seeders, gone = 0, 0, 0, 0, 0
  for _, h in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if redis.call('EXISTS', key('s', h)) == 1 then
      torrents = torrents + 1
      v4 = v4 + redis.call('HLEN', key('4', h))
      v6 = v6 + redis.call('HLEN', key('6', h))
      seeders = seeders + num(redis.call('HGET', key('s', h), 's'))
    else
      redis.call('DEL', key('4', h), key('6', h), key('t', h), key('p4', h), key('p6', h))
      redis.call('ZREM', index, h)
      gone = gone + 1
    end
  end
  redis.call('HSET', counters, 'torrents', torrents, 'v4', v4, 'v6', v6, 'seeders', seeders)
  return gone
end

-- Brings one of the slot's swarms up to date as of `now`: trims it, drops
-- it if that left it empty. Returns peers removed, whether it has more
-- due, whether it was dropped, and whether its keys had gone by their TTL.
local function settle(index, counters, h, now, ttl, budget)
  if redis.call('EXISTS', key('s', h)) == 0 then return 0, false, false, true end
  local removed, more = trim(h, now - ttl, budget, counters)
  if more then return removed, true, false, false end
  if redis.call('ZCARD', key('t', h)) == 0 then
    redis.call('DEL', key('s', h), key('4', h), key('6', h), key('t', h), key('p4', h), key('p6', h))
    redis.call('ZREM', index, h)
    count(counters, 'torrents', -1)
    return removed, false, true, false
  end
  reindex(index, h, ttl, now)
  return removed, false, false, false
end
)lua";

// Shared by announce and lookup: the peer draw.
constexpr std::string_view kDraw = R"lua(
-- The peers a reply carries, as the wire form a reply copies: per family
-- (1 IPv4, 2 IPv6), compact entries, and 20-byte ids when asked for. Each
-- family is drawn once, so these are strings, not lists to join.
local entries, ids = {'', ''}, {'', ''}

-- Draws up to `left` of the `size` peers of array `arr` (records of `w`
-- bytes; their hash `fam`) into family `f`'s lists, never `skip`; returns
-- how many more may be drawn. One GETRANGE (two when it wraps) copies a
-- run of left + 1 records from a random one, wrapping past the last to the
-- first, so every peer is as likely to be in it; the run is already the
-- wire form. Ids, when asked for, by one HMGET.
local function draw(arr, fam, size, w, f, skip, left, want_ids, random)
  if left <= 0 or size == 0 then return left end
  local n = math.min(left + (skip and 1 or 0), size)
  local at = random % size
  local run
  if at + n <= size then
    run = redis.call('GETRANGE', arr, at * w, (at + n) * w - 1)
  else
    run = redis.call('GETRANGE', arr, at * w, size * w - 1) ..
      redis.call('GETRANGE', arr, 0, (at + n - size) * w - 1)
  end
  if skip then
    local p = string.find(run, skip, 1, true)
    while p and (p - 1) % w ~= 0 do p = string.find(run, skip, p + 1, true) end
    if p then run = string.sub(run, 1, p - 1) .. string.sub(run, p + w) end
  end
  local got = math.min(math.floor(#run / w), left)
  run = string.sub(run, 1, got * w)
  entries[f] = run
  if want_ids and got > 0 then
    local eps = {}
    for k = 1, got do eps[k] = string.sub(run, (k - 1) * w + 1, k * w) end
    local d = {}
    for k, v in ipairs(redis.call('HMGET', fam, unpack(eps))) do
      d[k] = v and string.sub(v, 1, 20) or string.rep('\0', 20)
    end
    ids[f] = table.concat(d)
  end
  return left - got
end
)lua";

constexpr std::string_view kAnnounce = R"lua(
-- KEYS name the swarm (NS:s{H}) and its slot's index and counts; the
-- swarm's other keys share its hash tag and are named here, only those
-- this call uses: a key argument costs Redis more (a string object, a
-- slot in KEYS) than the concatenation.
local meta, index, counters = KEYS[1], KEYS[2], KEYS[3]
local h, ep, id = ARGV[2], ARGV[3], ARGV[4]
-- ARGV[5] is now, in decimal (the ZADD score as it stands); the fixed
-- fields are packed in ARGV[6] (add_announce): one argument that struct
-- decodes costs Redis less than eleven that each become a string in ARGV
-- and a tonumber here.
local now = tonumber(ARGV[5])
local seeder, may_grow, may_create, want4, want6, want_ids, event, numwant, ttl, max_peers,
  key_ttl, random = struct.unpack('>BBBBBBBI4I4I4I4I4', ARGV[6])
seeder, may_grow, may_create = seeder == 1, may_grow == 1, may_create == 1
want4, want6, want_ids = want4 == 1, want6 == 1, want_ids == 1
-- Every redis.call costs about a microsecond of Redis whatever it does, so
-- this script makes as few as it can: five for a re-announce, of
-- which one writes (the ZADD of its time), when its id and mark are
-- unchanged.

-- A little of the slot's overdue work first, so the slot stays bounded
-- even when no node sweeps. The index's head also says when the slot is
-- next due, which the reply carries, when this call changes nothing there.
local dropped, expired, vanished, indexed = 0, 0, false, false
local head = redis.call('ZRANGE', index, '0', '1', 'WITHSCORES')
local own_due = false
for k = 1, #head, 2 do
  local other = head[k]
  if tonumber(head[k + 1]) <= now then
    if other == h then
      own_due = true
    else
      local removed, _, gone, lost = settle(index, counters, other, now, ttl, 64)
      expired = expired + removed
      indexed = true
      if gone then dropped = dropped + 1 end
      if lost then vanished = true end
    end
  end
end

-- NS:s{H}: seeders, downloads, when the key TTLs were last set, the
-- family counts (the hashes' HLEN, kept here to save two calls), and the
-- swarm's own index score (`reindex`).
local m = redis.call('HMGET', meta, 's', 'd', 'e', 'n4', 'n6', 'x')
local created = 0
local refresh = not m[3] or now - tonumber(m[3]) >= (key_ttl - ttl) / 2
if not m[1] then
  if redis.call('ZSCORE', index, h) then vanished = true end  -- its keys went by their TTL
  if vanished then dropped = dropped + recount(index, counters) end
  if event == 3 or not may_grow or not may_create then
    count(counters, 'expired', expired)
    local status = event == 3 and 3 or not may_grow and 1 or 2
    return {status, 0, 0, 0, 0, dropped, next_due(index, now, expired > 0)}
  end
  redis.call('HSET', meta, 's', '0', 'd', '0', 'e', ARGV[5])
  redis.call('EXPIRE', meta, key_ttl)
  count(counters, 'torrents', 1)
  created, refresh, indexed, m = 1, false, true, {0, 0}
elseif vanished then
  dropped = dropped + recount(index, counters)
end
-- The swarm's index score is never later than its oldest peer's due time
-- (an announce only makes that later), so while it is in the future there
-- is nothing to trim and the trim's call is saved.
own_due = own_due or not m[6] or tonumber(m[6]) <= now
local removed, more, removed_seeders, r4, r6 = 0, false, 0, 0, 0
if own_due then removed, more, removed_seeders, r4, r6 = trim(h, now - ttl, 64, counters) end
expired = expired + removed
count(counters, 'expired', expired)
local seeders, downloads = num(m[1]) - removed_seeders, num(m[2])
local n4, n6 = num(m[4]) - r4, num(m[5]) - r6

local v4 = #ep == 6
local times = key('t', h)
local fam, arr = key(v4 and '4' or '6', h), key(v4 and 'p4' or 'p6', h)
local held = redis.call('HGET', fam, ep)
if event == 3 then
  if held then
    unlink(fam, arr, ep, held, v4 and n4 or n6)
    redis.call('ZREM', times, ep)
    local s = is_seeder(held) and 1 or 0
    count(meta, 's', -s)
    count(meta, v4 and 'n4' or 'n6', -1)
    count(counters, v4 and 'v4' or 'v6', -1)
    count(counters, 'seeders', -s)
    seeders = seeders - s
    if v4 then n4 = n4 - 1 else n6 = n6 - 1 end
  end
else
  local old = held and string.byte(held, 21) or 0
  local was_seeder, counted = old % 2 == 1, math.floor(old / 2) % 2 == 1
  if held or (may_grow and n4 + n6 < max_peers) then
    local download = event == 1 and not counted
    local mark = (seeder and 1 or 0) + ((counted or download) and 2 or 0)
    local n = v4 and n4 or n6
    local value = id .. string.char(mark) .. (held and string.sub(held, 22) or n)
    -- A re-announce with the same id and state writes nothing here, so
    -- nothing replicates but its time.
    if value ~= held then redis.call('HSET', fam, ep, value) end
    if not held then redis.call('SETRANGE', arr, n * #ep, ep) end
    redis.call('ZADD', times, ARGV[5], ep)
    local ds = (seeder and 1 or 0) - (was_seeder and 1 or 0)
    count(meta, 's', ds)
    count(counters, 'seeders', ds)
    seeders = seeders + ds
    if download then
      redis.call('HINCRBY', meta, 'd', 1)
      downloads = downloads + 1
    end
    if not held then
      count(meta, v4 and 'n4' or 'n6', 1)
      count(counters, v4 and 'v4' or 'v6', 1)
      -- A key this made anew gets its TTL now; the others have theirs.
      if not refresh and n == 0 then
        redis.call('EXPIRE', fam, key_ttl)
        redis.call('EXPIRE', arr, key_ttl)
      end
      if not refresh and n4 + n6 == 0 then redis.call('EXPIRE', times, key_ttl) end
      if v4 then n4 = n4 + 1 else n6 = n6 + 1 end
    end
  end
  -- Up to numwant others, the caller's own family first.
  local left = numwant
  if (v4 and want4) or (not v4 and want6) then
    left = draw(arr, fam, v4 and n4 or n6, #ep, v4 and 1 or 2, ep, left, want_ids, random)
  end
  if v4 and want6 and n6 > 0 and left > 0 then
    left = draw(key('p6', h), key('6', h), n6, 18, 2, nil, left, want_ids, random)
  end
  if not v4 and want4 and n4 > 0 and left > 0 then
    draw(key('p4', h), key('4', h), n4, 6, 1, nil, left, want_ids, random)
  end
end

-- The swarm's index score is when its oldest peer is next due: an
-- announce can only make that later, and a score too early costs one
-- sweep visit that finds nothing, so it is set when the swarm is made,
-- when it was due, and when it is left empty (due now, to be dropped), not
-- on every announce.
if created == 1 or own_due or n4 + n6 == 0 then
  reindex(index, h, ttl, now)
  indexed = true
end
-- Key TTLs: set at most every grace / 2 (and when a key is made), which
-- still keeps each key past the life of every peer in it: a key set at e
-- lives to e + ttl + grace, past t + ttl for every announce at t < e + grace / 2.
if refresh then
  for _, k in ipairs({meta, key('4', h), key('6', h), times, key('p4', h), key('p6', h)}) do
    redis.call('EXPIRE', k, key_ttl)
  end
  redis.call('HSET', meta, 'e', ARGV[5])
end
local due
if indexed or expired > 0 then
  due = next_due(index, now, expired > 0)
else
  due = head[2] and tonumber(head[2]) or -1
end
return {0, seeders, n4 + n6 - seeders, downloads, created, dropped, due,
        entries[1], ids[1], entries[2], ids[2]}
)lua";

constexpr std::string_view kScrape = R"lua(#!lua flags=no-writes
local s = redis.call('HMGET', KEYS[1], 's', 'd', 'n4', 'n6')
return {tonumber(s[1]) or 0, (tonumber(s[3]) or 0) + (tonumber(s[4]) or 0), tonumber(s[2]) or 0}
)lua";

constexpr std::string_view kLookup = R"lua(
local meta, h4, h6, p4, p6 = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local s = redis.call('HMGET', meta, 's', 'd', 'n4', 'n6')
if not s[1] then return {0, 0, 0} end
local left, want_ids = tonumber(ARGV[2]), ARGV[5] == '1'
local n4, n6 = num(s[3]), num(s[4])
local random = tonumber(ARGV[6])
if ARGV[3] == '1' then left = draw(p4, h4, n4, 6, 1, nil, left, want_ids, random) end
if ARGV[4] == '1' then draw(p6, h6, n6, 18, 2, nil, left, want_ids, random) end
local seeders = num(s[1])
return {seeders, n4 + n6 - seeders, num(s[2]),
        entries[1], ids[1], entries[2], ids[2]}
)lua";

constexpr std::string_view kSweep = R"lua(
local index, counters = KEYS[1], KEYS[2]
local now, ttl = tonumber(ARGV[2]), tonumber(ARGV[3])
local swarms, budget = tonumber(ARGV[4]), tonumber(ARGV[5])
local due = redis.call('ZRANGEBYSCORE', index, '-inf', now, 'LIMIT', 0, swarms)
local removed, dropped, more, vanished = 0, 0, #due == swarms, false
for _, h in ipairs(due) do
  local r, m, gone, lost = settle(index, counters, h, now, ttl, budget)
  removed = removed + r
  if m then more = true end
  if gone then dropped = dropped + 1 end
  if lost then vanished = true end
end
if vanished then dropped = dropped + recount(index, counters) end
local c = redis.call('HMGET', counters, 'expired', 'torrents')
if num(c[1]) ~= 0 then redis.call('HSET', counters, 'expired', 0) end
return {removed + num(c[1]), dropped, num(c[2]), more and 1 or 0, next_due(index, now, false)}
)lua";

Script make(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (std::string_view part : parts) text.append(part);
  return Script(std::move(text));
}

// A script that writes nothing says so on its first line, so Redis may
// run it where writes are refused (on a replica, with the cluster down).
constexpr std::string_view kReadOnly = "#!lua flags=no-writes";

}  // namespace

const Script& announce_script() {
  static const Script s = make({kLuaCommon, kPrelude, kDraw, kAnnounce});
  return s;
}

const Script& peer_lookup_script() {
  static const Script s = make({kReadOnly, kLuaCommon, kDraw, kLookup});
  return s;
}

const Script& scrape_script() {
  static const Script s = make({kScrape});
  return s;
}

const Script& sweep_script() {
  static const Script s = make({kLuaCommon, kPrelude, kSweep});
  return s;
}

}  // namespace cairn::store::redis
