// krpc::decode on any datagram. What it accepts must survive a round trip:
// encoded again (as the query, reply or error it is) and decoded, it keeps
// every field; what it refuses may be answered only when it was a query
// that carried its transaction id.
#include <array>
#include <cstdint>
#include <string_view>

#include "codec/krpc.hpp"

using namespace cairn::codec::krpc;
using namespace cairn::core;

namespace {
std::array<std::uint8_t, 2 * kMaxPacket> out;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::size_t reencode(const Message& m) {
  const Endpoint requester{};
  switch (m.type) {
    case Type::query: {
      Query q;
      q.transaction = m.transaction;
      q.method = m.method;
      q.method_name = m.method_name;
      q.id = m.id;
      q.target = m.target;
      q.info_hash = m.info_hash;
      q.token = m.token;
      q.port = m.port.value_or(0);
      q.implied_port = m.implied_port;
      q.seed = m.seed;
      q.want_n4 = m.want_n4;
      q.want_n6 = m.want_n6;
      q.read_only = m.read_only;
      q.version = m.version;
      return encode_query(q, out);
    }
    case Type::response: {
      Reply r;
      r.transaction = m.transaction;
      r.requester = requester;
      r.id = m.id;
      if (!m.nodes.empty()) r.nodes = m.nodes;
      if (!m.nodes6.empty()) r.nodes6 = m.nodes6;
      if (!m.token.empty()) r.token = m.token;
      return encode_reply(r, out);
    }
    case Type::error:
      return encode_error(m.transaction, static_cast<ErrorCode>(m.error_code & 0xFFFF),
                          m.error_message, requester, out, m.version);
  }
  return 0;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = decode({data, size});
  if (!m.has_value()) {
    const auto& f = m.error();
    check(!f.sendable() || (f.query && f.transaction.size() <= kMaxTransaction));
    return 0;
  }
  check(!m->transaction.empty() && m->transaction.size() <= kMaxTransaction);
  std::size_t values = 0;
  for_each_value(*m, [&](const Endpoint&) { ++values; });
  check(values == m->value_count);
  const std::size_t n = reencode(*m);
  check(n != 0);
  auto again = decode({out.data(), n});
  // An error code that does not fit 16 bits changes on the way; a message
  // that grew past kMaxPacket is refused. Both are fine.
  if (m->type == Type::error && (m->error_code < 1 || m->error_code > 0xFFFF)) return 0;
  if (n > kMaxPacket) return 0;
  check(again.has_value());
  check(again->type == m->type && again->transaction == m->transaction);
  if (m->type == Type::error) return 0;  // an error's extra keys (libtorrent adds "r") are not kept
  check(again->id == m->id);
  check(again->method == m->method && again->target == m->target &&
        again->info_hash == m->info_hash && again->token == m->token);
  check(again->port == m->port);
  check(again->implied_port == m->implied_port && again->seed == m->seed &&
        again->read_only == m->read_only);
  check(again->want_n4 == m->want_n4 && again->want_n6 == m->want_n6);
  check(again->nodes == m->nodes && again->nodes6 == m->nodes6);
  check(again->error_code == m->error_code);
  return 0;
}
