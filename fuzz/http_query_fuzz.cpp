// The HTTP tracker query parsers on any bytes, and a round trip: a query that
// parses, re-encoded by the client-side encoder, parses back to the same
// request, so client and server agree on every field.
#include <algorithm>
#include <cstdint>

#include "codec/http_tracker.hpp"

using namespace cairn::codec;

namespace {
bool same(const AnnounceQuery& a, const AnnounceQuery& b) {
  return a.info_hash == b.info_hash && a.peer_id == b.peer_id && a.port == b.port &&
         a.uploaded == b.uploaded && a.downloaded == b.downloaded && a.left == b.left &&
         a.left_present == b.left_present && a.event == b.event && a.numwant == b.numwant &&
         a.compact == b.compact && a.no_peer_id == b.no_peer_id && a.ip == b.ip && a.key == b.key;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto q = parse_announce_query(in); q.has_value()) {
    auto again = parse_announce_query(encode_announce_query(*q));
    if (!again.has_value() || !same(*q, *again)) __builtin_trap();
  }
  if (auto q = parse_scrape_query(in); q.has_value()) {
    auto again = parse_scrape_query(encode_scrape_query(std::span(q->hashes.data(), q->count)));
    if (!again.has_value() || again->count != q->count ||
        !std::equal(q->hashes.begin(), q->hashes.begin() + q->count, again->hashes.begin()))
      __builtin_trap();
  }
  return 0;
}
