// parse_http_request on any bytes, then the tracker query parsers on the
// query of every complete request, as the HTTP frontend chains them. A
// request arrives in pieces over TCP, so every strict prefix of a complete
// one must read as incomplete: neither an error nor a different request.
#include <cstdint>

#include "codec/http_request.hpp"
#include "codec/http_tracker.hpp"

using namespace cairn::codec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto parse = parse_http_request(in);
  // A 414 may show the path it saw: a view into the input, never past it.
  const auto& seen = parse.request.path;
  if (parse.status == HttpParseStatus::error && !seen.empty() &&
      (seen.data() < in.data() || seen.data() + seen.size() > in.data() + in.size()))
    __builtin_trap();
  if (parse.status != HttpParseStatus::complete) return 0;
  const auto& r = parse.request;
  if (r.head_size == 0 || r.head_size > in.size() || r.query.size() > r.target.size())
    __builtin_trap();
  // The body is the last thing the request takes, and within the limit.
  if (r.body.size() > HttpLimits{}.max_body) __builtin_trap();
  if (!r.body.empty() && r.body.data() + r.body.size() != in.data() + r.head_size) __builtin_trap();
  for (auto cut : {r.head_size - 1, r.head_size / 2})
    if (parse_http_request(in.substr(0, cut)).status != HttpParseStatus::incomplete)
      __builtin_trap();
  (void)parse_announce_query(r.query);
  (void)parse_scrape_query(r.query);
  return 0;
}
