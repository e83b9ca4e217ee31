// parse_message on any datagram, then what the server does next: a Binding
// request gets the answer that fits its budget (or a 420), which the client
// parser must read back with the same transaction id and address. Also the
// client's parse_binding_answer on the same bytes.
#include <array>
#include <cstdint>
#include <cstring>

#include "codec/stun.hpp"

using namespace cairn::codec::stun;
using namespace cairn::core;

namespace {
std::array<std::uint8_t, 1500> out;

// The source the packet came from, drawn from its transaction id.
Endpoint source_of(const Message& m) {
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), m.transaction_id.data(), 12);
  auto port = static_cast<std::uint16_t>(m.transaction_id[0] << 8 | m.transaction_id[1]);
  if (m.transaction_id[11] & 1) return {Address::v6(b), port};
  return {Address::v4(std::span<const std::uint8_t, 4>(b.data(), 4)), port};
}

void answer(const Message& m, std::size_t request_size) {
  std::size_t n = 0;
  Endpoint from = source_of(m);
  if (m.unknown_count > 0) {
    n = encode_unknown_attribute_error(m.transaction_id, m.unknown_attributes(), out);
  } else {
    auto a = answer_within(from.family(), std::max(request_size, std::size_t{32}));
    if (!a) return;
    n = encode_binding_success(m.transaction_id, from, *a, out);
  }
  if (n == 0 || !is_stun(std::span(out.data(), n))) __builtin_trap();
  auto back = parse_binding_answer(std::span(out.data(), n));
  if (!back || back->transaction_id != m.transaction_id) __builtin_trap();
  if (m.unknown_count > 0 ? back->error_code != 420 : back->xor_mapped != from) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> packet(data, size);
  (void)parse_binding_answer(packet);
  auto m = parse_message(packet);
  if (!m) {
    if (is_stun(packet) && m.error() == ParseError::not_stun) __builtin_trap();
    return 0;
  }
  if (m->is_binding_request()) answer(*m, size);
  return 0;
}
