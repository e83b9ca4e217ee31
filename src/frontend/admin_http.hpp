#pragma once
// The admin listener's routes (admin.listen, never the tracker's ports):
// GET /metrics (Prometheus text), GET /stats.json (the same figures as
// JSON, and the top torrents by peers) and the dashboard's files, as
// handlers of an HttpRouter of its own (server/frontends.cpp). They read
// the MetricsRegistry, which sums the workers' counters when read, so
// nothing here touches the I/O threads' hot path.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "frontend/http_handler.hpp"
#include "store/peer_store.hpp"
#include "tracker/metrics.hpp"

namespace cairn::frontend {

// What the admin routes answer to a client over the admin listener's rate
// limit: a plain 429 (an operator's tool, not a BitTorrent client).
class AdminHttp : public HttpHandler {
 public:
  void write_rate_limited(const codec::HttpRequest& request, std::uint32_t retry_after,
                          tracker::WorkerState& state, std::string& out) const override;
};

// GET /metrics: the Prometheus text exposition format 0.0.4.
class AdminMetrics final : public AdminHttp {
 public:
  explicit AdminMetrics(const tracker::MetricsRegistry& metrics) : metrics_(metrics) {}
  void handle(const codec::HttpRequest& request, const core::Address& client,
              const tracker::RequestContext& ctx, std::string& out) const override;

 private:
  const tracker::MetricsRegistry& metrics_;
};

// The busiest torrents, most peers first, at most n (the server's census).
using TopTorrents =
    std::function<std::vector<std::pair<core::InfoHash, store::SwarmCounts>>(std::size_t n)>;

// GET /stats.json[?top=N]: {"metrics": the registry's write_json, "top":
// [{"info_hash", "seeders", "leechers", "downloaded"}]}. N defaults to
// kDefaultTop and may be 0 to kMaxTop; anything else is a 400 saying so.
class AdminStats final : public AdminHttp {
 public:
  static constexpr std::size_t kDefaultTop = 10;
  static constexpr std::size_t kMaxTop = 100;
  AdminStats(const tracker::MetricsRegistry& metrics, TopTorrents top)
      : metrics_(metrics), top_(std::move(top)) {}
  void handle(const codec::HttpRequest& request, const core::Address& client,
              const tracker::RequestContext& ctx, std::string& out) const override;

 private:
  const tracker::MetricsRegistry& metrics_;
  TopTorrents top_;
};

// A file served as it is: the dashboard's, embedded in the binary.
struct StaticFile {
  std::string_view path;  // "/index.html"
  std::string_view content_type;
  std::string_view bytes;
};

// GET of one of `files` by its path; "/" is "/index.html". Anything else:
// 404 naming the admin paths.
class AdminFiles final : public AdminHttp {
 public:
  explicit AdminFiles(std::vector<StaticFile> files) : files_(std::move(files)) {}
  void handle(const codec::HttpRequest& request, const core::Address& client,
              const tracker::RequestContext& ctx, std::string& out) const override;

 private:
  std::vector<StaticFile> files_;
};

}  // namespace cairn::frontend
