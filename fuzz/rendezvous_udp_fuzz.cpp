// parse_request and parse_response on any datagram. Requests are strict,
// so one that parses is re-encoded by the client encoder to exactly the
// same bytes; a sendable error fits a packet. A look-up answer that parses
// is rewritten by the server's writer and read back the same.
#include <array>
#include <cstdint>
#include <cstring>

#include "codec/rendezvous_udp.hpp"

using namespace cairn::codec;
using namespace cairn::codec::rvudp;

namespace {

std::array<std::uint8_t, udp::kMaxPacket> out;

std::size_t reencode(const Request& request) {
  if (auto* r = std::get_if<RegisterRequest>(&request)) return encode_register_request(*r, out);
  if (auto* r = std::get_if<LookupRequest>(&request)) return encode_lookup_request(*r, out);
  if (auto* r = std::get_if<UnregisterRequest>(&request)) return encode_unregister_request(*r, out);
  return encode_whoami_request(std::get<WhoamiRequest>(request).header, out);
}

void check_request(std::span<const std::uint8_t> packet) {
  auto request = parse_request(packet);
  if (!request.has_value()) {
    const auto& e = request.error();
    if (e.sendable && udp::encode_error_response(e.transaction_id, e.message, out) == 0)
      __builtin_trap();
    return;
  }
  std::size_t n = reencode(*request);
  if (n != packet.size() || std::memcmp(out.data(), packet.data(), n) != 0) __builtin_trap();
}

void check_lookup_response(const LookupResponse& r) {
  LookupResponseWriter w(r.transaction_id, out);
  for (const auto& record : r.records)
    if (!w.add(record)) return;  // the parsed packet may be larger than an answer may be
  std::size_t n = w.finish(r.cursor, r.more);
  auto again = parse_response(std::span(out.data(), n));
  if (!again.has_value()) __builtin_trap();
  const auto* l = std::get_if<LookupResponse>(&*again);
  if (!l || l->records.size() != r.records.size() || l->cursor != r.cursor || l->more != r.more)
    __builtin_trap();
  for (std::size_t i = 0; i < r.records.size(); ++i)
    if (l->records[i].id != r.records[i].id || l->records[i].body != r.records[i].body ||
        l->records[i].source != r.records[i].source ||
        l->records[i].signed_by != r.records[i].signed_by)
      __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> packet(data, size);
  (void)is_rendezvous(packet);
  check_request(packet);
  auto response = parse_response(packet);
  if (response.has_value())
    if (const auto* l = std::get_if<LookupResponse>(&*response)) check_lookup_response(*l);
  return 0;
}
