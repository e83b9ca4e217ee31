// The Accept-Encoding reader on any bytes: it must not crash, and its answer
// must not depend on items it should ignore (an unknown coding appended).
#include <cstdint>
#include <string>

#include "codec/gzip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const bool gz = cairn::codec::accepts_gzip(in);
  if (cairn::codec::accepts_gzip(in + ", br") != gz) __builtin_trap();
  return 0;
}
