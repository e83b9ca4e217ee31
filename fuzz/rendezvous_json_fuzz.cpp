// Every rendezvous JSON and query parser on any bytes, server and client
// side. What the server accepts must survive the trip it takes: a register
// request re-encoded by a client parses to the same request, its body
// decodes to its record, and the look-up answer showing it parses on the
// client. A query that parses re-encodes to one that parses the same.
#include <cstdint>

#include "codec/rendezvous_json.hpp"

using namespace cairn::codec::rv;

namespace {

// An error's message is a fixed text, at most with a name the client sent
// made printable: never empty, never a byte a JSON answer would escape.
template <class T>
void check_refusal(const cairn::core::Result<T, RequestError>& r) {
  if (r.has_value()) return;
  const auto& detail = r.error().detail;
  if (detail.empty()) __builtin_trap();
  for (char c : detail)
    if (c < 0x20 || c > 0x7e) __builtin_trap();
}

void check_register(const RegisterRequest& r) {
  auto again = parse_register_request(encode_register_request(r));
  if (!again.has_value() || again->id != r.id || again->record != r.record ||
      again->body != r.body || again->ttl != r.ttl || again->signed_by != r.signed_by)
    __builtin_trap();
  auto decoded = decode_body(r.body);
  if (!decoded.has_value() || *decoded != r.record) __builtin_trap();
  FoundRecord f{r.id, r.body, *cairn::core::Address::parse("2001:db8::7"), r.signed_by, 1, 2};
  std::string answer;
  encode_lookup_reply(std::span(&f, 1), Cursor{1, 2}, true, answer);
  auto reply = parse_lookup_reply(answer);
  if (!reply.has_value() || reply->records.size() != 1 || reply->records[0].id != r.id)
    __builtin_trap();
}

void check_queries(std::string_view in) {
  check_refusal(parse_lookup_query(in));
  check_refusal(parse_remove_query(in));
  if (auto q = parse_lookup_query(in)) {
    auto again = parse_lookup_query(encode_lookup_query(*q));
    if (!again.has_value() || again->limit != q->limit || again->capability != q->capability ||
        again->cursor != q->cursor)
      __builtin_trap();
  }
  if (auto q = parse_remove_query(in)) {
    auto again = parse_remove_query(encode_remove_query(*q));
    if (!again.has_value() || again->signed_by != q->signed_by) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto request = parse_register_request(in);
  check_refusal(request);
  if (request) check_register(*request);
  check_queries(in);
  (void)parse_register_reply(in);
  (void)parse_lookup_reply(in);
  (void)parse_whoami_reply(in);
  (void)parse_error_reply(in);
  return 0;
}
