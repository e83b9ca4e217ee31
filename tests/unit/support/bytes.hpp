#pragma once
// Byte strings as hex, for test vectors written in hex.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/ids.hpp"

namespace cairn::test {

inline std::string hex(std::string_view bytes) {
  return core::to_hex({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
}

// The bytes `h` spells; a failure of the calling test if it is not hex.
inline std::string unhex(std::string_view h) {
  std::string out(h.size() / 2, '\0');
  EXPECT_TRUE(h.size() % 2 == 0 &&
              core::from_hex(h, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()}))
      << "not hex: " << h;
  return out;
}

}  // namespace cairn::test
