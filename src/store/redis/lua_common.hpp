#pragma once
// The Lua both stores' scripts begin with: key names as keys.hpp makes
// them (ARGV[1] is always the namespace), and small helpers.
#include <string_view>

namespace cairn::store::redis {

inline constexpr std::string_view kLuaCommon = R"lua(
local NS = ARGV[1]
local function key(kind, tag) return NS .. ':' .. kind .. '{' .. tag .. '}' end
local function num(x) return tonumber(x) or 0 end
local function count(hash, field, delta)
  if delta ~= 0 then redis.call('HINCRBY', hash, field, delta) end
end
-- When the slot next has work for a sweep: its expiry index's first
-- score, or `now` if this call left removals to report; -1 for never.
-- Each reply carries it, so a store sweeps only the slots it knows due.
local function next_due(index, now, pending)
  if pending then return now end
  local first = redis.call('ZRANGE', index, '0', '0', 'WITHSCORES')
  return first[2] and tonumber(first[2]) or -1
end
)lua";

}  // namespace cairn::store::redis
