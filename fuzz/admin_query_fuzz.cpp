// The admin listener's /stats.json on any query string: never a crash,
// and either a 200 whose top list is within kMaxTop, or the fixed 400.
#include <cstdint>
#include <string>

#include "frontend/admin_http.hpp"
#include "frontend/worker_state.hpp"

using namespace cairn;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static tracker::AccessList access{tracker::AccessMode::off, {}};
  static frontend::WorkerState state{1, {}, access};
  static tracker::MetricsRegistry metrics;
  std::size_t asked = 0;
  frontend::AdminStats stats(metrics, [&](std::size_t n) {
    asked = n;
    return std::vector<std::pair<core::InfoHash, store::SwarmCounts>>{};
  });
  codec::HttpRequest request;
  request.path = "/stats.json";
  request.query = std::string_view(reinterpret_cast<const char*>(data), size);
  std::string out;
  stats.handle(request, {}, {0, 0, {}, state}, out);
  const bool ok = out.starts_with("HTTP/1.1 200 ");
  if (!ok && !out.starts_with("HTTP/1.1 400 ")) __builtin_trap();
  if (asked > frontend::AdminStats::kMaxTop) __builtin_trap();
  return 0;
}
