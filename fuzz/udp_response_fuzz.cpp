// parse_response on any datagram, as a client reads it from either socket
// family, then every accessor over the views it returns.
#include <cstdint>

#include "codec/udp_tracker.hpp"

using namespace cairn::codec::udp;
using namespace cairn::core;

static volatile std::uint64_t sink;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (auto family : {Family::v4, Family::v6}) {
    auto response = parse_response({data, size}, family);
    if (!response.has_value()) continue;
    std::uint64_t sum = 0;
    if (auto* a = std::get_if<AnnounceResponse>(&*response))
      for (std::size_t i = 0; i < a->peer_count(); ++i) sum += a->peer(i).port;
    if (auto* s = std::get_if<ScrapeResponse>(&*response))
      for (std::size_t i = 0; i < s->count(); ++i) sum += s->at(i).seeders;
    if (auto* e = std::get_if<ErrorResponse>(&*response))
      for (char c : e->message) sum += static_cast<unsigned char>(c);
    sink = sum;  // so the reads are not optimised away
  }
  return 0;
}
