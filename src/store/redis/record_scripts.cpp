#include "store/redis/record_scripts.hpp"

#include <string>

#include "store/redis/lua_common.hpp"

namespace cairn::store::redis {

namespace {

// Numbers: versions start below 2^50 and Lua's numbers are doubles, exact
// to 2^53; seqs are 64-bit and so compared as 8-byte strings, byte by
// byte (Lua's own string order follows the locale). A version is never
// concatenated into a string (Lua would round it to 14 digits): cursors
// come in as ARGV text.
constexpr std::string_view kPrelude = R"lua(
local function seq_le(a, b)
  for i = 1, 8 do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return true
end

-- A source's quota unit: the IPv4 address, or the IPv6 /64.
local function unit_of(source)
  if string.byte(source, 1) == 4 then return '4' .. string.sub(source, 2, 5) end
  return '6' .. string.sub(source, 2, 9)
end

-- Removes up to `budget` of the topic's records and tombstones due at
-- `now`; a signed record leaves a tombstone that runs from its own end.
-- The units of the records removed go to `released`. Returns how many
-- records it removed, and whether more may be due.
local function trim_topic(t, now, tomb_ttl, counters, released, budget)
  local r, v, e, k = key('r', t), key('v', t), key('e', t), key('k', t)
  local due = redis.call('ZRANGEBYSCORE', e, '-inf', now, 'WITHSCORES', 'LIMIT', 0, budget)
  local removed, tombs = 0, 0
  for i = 1, #due, 2 do
    local member, at = due[i], tonumber(due[i + 1])
    local id = string.sub(member, 2)
    redis.call('ZREM', e, member)
    if string.sub(member, 1, 1) == 't' then
      redis.call('HDEL', k, id)
      tombs = tombs - 1
    else
      local held = redis.call('HGET', r, id)
      redis.call('HDEL', r, id)
      redis.call('ZREM', v, id)
      removed = removed + 1
      if held then
        released[#released + 1] = unit_of(string.sub(held, 1, 17))
        if #id == 32 and at + tomb_ttl > now then
          redis.call('HSET', k, id, string.sub(held, 18, 25))
          redis.call('ZADD', e, at + tomb_ttl, 't' .. id)
          tombs = tombs + 1
        end
      end
    end
  end
  count(counters, 'records', -removed)
  count(counters, 'tombstones', tombs)
  return removed, #due == 2 * budget
end

-- Drops the topic if it holds nothing, else files it in the slot's index
-- by its next due time and renews its keys' TTL (when given). Returns 1
-- if dropped.
local function settle_topic(index, counters, t, now, key_ttl)
  local keys = {key('m', t), key('r', t), key('v', t), key('e', t), key('k', t)}
  if redis.call('HLEN', keys[2]) == 0 and redis.call('HLEN', keys[5]) == 0 then
    redis.call('DEL', unpack(keys))
    redis.call('ZREM', index, t)
    count(counters, 'topics', -1)
    return 1
  end
  local first = redis.call('ZRANGE', keys[4], 0, 0, 'WITHSCORES')
  redis.call('ZADD', index, first[2] or now, t)
  if key_ttl then
    for _, name in ipairs(keys) do redis.call('EXPIRE', name, key_ttl) end
  end
  return 0
end

-- The slot's counts made again from its topics, after keys went by their
-- TTL: forgets the topics that are gone. Returns how many were.
local function recount_topics(index, counters)
  local topics, records, tombs, gone = 0, 0, 0, 0
  for _, t in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if redis.call('EXISTS', key('m', t)) == 1 then
      topics = topics + 1
      records = records + redis.call('HLEN', key('r', t))
      tombs = tombs + redis.call('HLEN', key('k', t))
    else
      redis.call('DEL', key('r', t), key('v', t), key('e', t), key('k', t))
      redis.call('ZREM', index, t)
      gone = gone + 1
    end
  end
  redis.call('HSET', counters, 'topics', topics, 'records', records, 'tombstones', tombs)
  return gone
end
)lua";

// Shared by put and remove: their state, replies and endings.
constexpr std::string_view kChange = R"lua(
local m, r, v, e, k, index, counters = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local t, id, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local released, created, dropped, moved, pending = {}, 0, 0, '', false

local function reply(status, version, used)
  local out = {status, version or 0, used and 1 or 0, created, dropped, moved,
               next_due(index, now, pending)}
  for _, u in ipairs(released) do out[#out + 1] = u end
  return out
end
local function done(key_ttl, status, version, used)
  if redis.call('EXISTS', m) == 1 then
    dropped = dropped + settle_topic(index, counters, t, now, key_ttl)
  end
  return reply(status, version, used)
end
-- Before anything else: what has expired in the topic is gone.
local function open(tomb_ttl)
  if redis.call('EXISTS', m) == 0 then
    if redis.call('ZSCORE', index, t) then dropped = dropped + recount_topics(index, counters) end
    return false
  end
  local removed = trim_topic(t, now, tomb_ttl, counters, released, 1000)
  count(counters, 'expired', removed)
  pending = removed > 0
  return true
end
)lua";

constexpr std::string_view kPut = R"lua(
local packed, unit, seq = ARGV[5], ARGV[6], ARGV[7]
local expires, tomb_ttl = tonumber(ARGV[8]), tonumber(ARGV[9])
local max_records, flags, start, key_ttl =
  tonumber(ARGV[10]), tonumber(ARGV[11]), ARGV[12], tonumber(ARGV[13])
local may_grow, may_create, reserved =
  flags % 2 == 1, math.floor(flags / 2) % 2 == 1, math.floor(flags / 4) % 2 == 1

local function store(version)
  redis.call('HSET', r, id, packed)
  redis.call('ZADD', v, version, id)
  redis.call('ZADD', e, expires, 'r' .. id)
end

if not open(tomb_ttl) then
  if not may_grow or not may_create then return reply(3) end
  if not reserved then return reply(7) end
  redis.call('HSET', m, 'first', start, 'last', tonumber(start) - 1)
  count(counters, 'topics', 1)
  created = 1
end
local held = redis.call('HGET', r, id)
if held then
  local source = string.sub(held, 1, 17)
  if #id ~= 32 and source ~= string.sub(packed, 1, 17) then return done(key_ttl, 4) end
  if #id == 32 and seq_le(seq, string.sub(held, 18, 25)) then return done(key_ttl, 5) end
  if unit_of(source) ~= unit then moved = unit_of(source) end
  local version = redis.call('HINCRBY', m, 'last', 1)
  store(version)
  return done(key_ttl, 0, version, false)
end
local tomb = redis.call('HGET', k, id)
if tomb and seq_le(seq, tomb) then return done(key_ttl, 5) end
if not may_grow then return done(key_ttl, 3) end
if redis.call('HLEN', r) >= max_records then return done(key_ttl, 1) end
if not reserved then return done(key_ttl, 7) end
if tomb then
  redis.call('HDEL', k, id)
  redis.call('ZREM', e, 't' .. id)
  count(counters, 'tombstones', -1)
end
local version = redis.call('HINCRBY', m, 'last', 1)
store(version)
count(counters, 'records', 1)
return done(key_ttl, 0, version, true)
)lua";

constexpr std::string_view kRemove = R"lua(
local source, seq = ARGV[5], ARGV[6]
local tomb_ttl, key_ttl = tonumber(ARGV[7]), tonumber(ARGV[8])
if not open(tomb_ttl) then return reply(6) end
local held = redis.call('HGET', r, id)
if #id == 32 then
  local tomb = redis.call('HGET', k, id)
  if (held and seq_le(seq, string.sub(held, 18, 25))) or (tomb and seq_le(seq, tomb)) then
    return done(key_ttl, 5)
  end
end
if not held then return done(key_ttl, 6) end
if #id ~= 32 and string.sub(held, 1, 17) ~= source then return done(key_ttl, 4) end
redis.call('HDEL', r, id)
redis.call('ZREM', v, id)
redis.call('ZREM', e, 'r' .. id)
count(counters, 'records', -1)
moved = unit_of(string.sub(held, 1, 17))
if #id == 32 and tomb_ttl > 0 then
  redis.call('HSET', k, id, seq)
  redis.call('ZADD', e, now + tomb_ttl, 't' .. id)
  count(counters, 'tombstones', 1)
end
return done(key_ttl, 0)
)lua";

constexpr std::string_view kLookup = R"lua(#!lua flags=no-writes
local span = redis.call('HMGET', KEYS[1], 'first', 'last')
if not span[1] then return {0} end
local after = ARGV[1]
local n = tonumber(after)
if n < tonumber(span[1]) or n > tonumber(span[2]) then after = '0' end
local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. after, '+inf', 'WITHSCORES', 'LIMIT', 0,
                       tonumber(ARGV[2]))
local out = {span[2]}
for i = 1, #ids, 2 do
  out[#out + 1] = ids[i]
  out[#out + 1] = ids[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], ids[i]) or ''
end
return out
)lua";

constexpr std::string_view kSweep = R"lua(
local index, counters = KEYS[1], KEYS[2]
local now, tomb_ttl, budget = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', index, '-inf', now, 'LIMIT', 0, budget)
local removed, dropped, more, vanished, released = 0, 0, #due == budget, false, {}
for _, t in ipairs(due) do
  if redis.call('EXISTS', key('m', t)) == 0 then
    vanished = true
  else
    local n, m = trim_topic(t, now, tomb_ttl, counters, released, 1000)
    removed = removed + n
    if m then more = true end
    dropped = dropped + settle_topic(index, counters, t, now, nil)
  end
end
if vanished then dropped = dropped + recount_topics(index, counters) end
local c = redis.call('HMGET', counters, 'expired', 'topics')
if num(c[1]) ~= 0 then redis.call('HSET', counters, 'expired', 0) end
local out = {removed + num(c[1]), dropped, num(c[2]), more and 1 or 0, next_due(index, now, false)}
for _, u in ipairs(released) do out[#out + 1] = u end
return out
)lua";

constexpr std::string_view kQuotaTake = R"lua(
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
)lua";

constexpr std::string_view kQuotaGive = R"lua(
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) end
return n
)lua";

Script make(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (std::string_view p : parts) text.append(p);
  return Script(std::move(text));
}

}  // namespace

const Script& put_script() {
  static const Script s = make({kLuaCommon, kPrelude, kChange, kPut});
  return s;
}

const Script& remove_script() {
  static const Script s = make({kLuaCommon, kPrelude, kChange, kRemove});
  return s;
}

const Script& lookup_script() {
  static const Script s = make({kLookup});
  return s;
}

const Script& record_sweep_script() {
  static const Script s = make({kLuaCommon, kPrelude, kSweep});
  return s;
}

const Script& quota_take_script() {
  static const Script s = make({kQuotaTake});
  return s;
}

const Script& quota_give_script() {
  static const Script s = make({kQuotaGive});
  return s;
}

}  // namespace cairn::store::redis
