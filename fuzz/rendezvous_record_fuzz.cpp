// decode_body on any bytes. The decoder takes only canonical bodies, so a
// body that decodes must encode back to exactly the same bytes: what a
// signature covers is what the tracker returns. Then the address helpers
// an answer applies to each address.
#include <cstdint>

#include "codec/rendezvous_record.hpp"

using namespace cairn::codec::rv;
using cairn::core::Address;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)valid_address(in);
  (void)unspecified_port(in);
  auto record = decode_body(in);
  if (!record.has_value()) return 0;
  auto again = encode_body(*record);
  if (!again.has_value() || *again != in) __builtin_trap();
  const Address sources[] = {*Address::parse("203.0.113.7"), *Address::parse("2001:db8::7")};
  for (const auto& a : record->addresses)
    for (const auto& source : sources)
      if (!valid_address(fill_address(a, source)))
        __builtin_trap();  // filling keeps an address valid
  return 0;
}
