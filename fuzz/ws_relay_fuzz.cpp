// The relay envelope Cairn nodes exchange over Redis pub/sub, on any bytes:
// parsing never reads out of bounds, and what parses re-encodes to the same
// bytes.
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/ws_relay.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto r = cairn::codec::ws_relay::parse(in);
  if (!r) return 0;
  std::string out;
  cairn::codec::ws_relay::encode(*r, out);
  if (out != in) __builtin_trap();
  return 0;
}
