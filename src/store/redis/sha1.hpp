#pragma once
// SHA-1, only to name Lua scripts the way Redis does (EVALSHA takes the
// script's SHA-1 in hex). Not for anything that needs a secure hash.
#include <string>
#include <string_view>

namespace cairn::store::redis {

// 40 lowercase hex digits.
std::string sha1_hex(std::string_view data);

}  // namespace cairn::store::redis
