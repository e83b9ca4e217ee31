#pragma once
// The BitTorrent HTTP tracker's routes (BEP 3, 7, 23, 48): /announce and
// /scrape, and /health for load balancers, as handlers of the HttpRouter
// (http_router.hpp, which resolves the client's address and applies the
// rate limit). A client over its limit gets the failure "rate limit
// exceeded" (HTTP 200, as BEP 3 failures are: clients show only those).
#include <string>

#include "frontend/full_scrape.hpp"
#include "frontend/http_handler.hpp"
#include "frontend/http_router.hpp"
#include "tracker/tracker.hpp"

namespace cairn::frontend {

// What the BitTorrent routes share: refusals as BEP 3 failures.
class BitTorrentHttp : public HttpHandler {
 public:
  void write_rate_limited(const codec::HttpRequest& request, std::uint32_t retry_after,
                          tracker::WorkerState& state, std::string& out) const override;
};

class HttpAnnounce final : public BitTorrentHttp {
 public:
  HttpAnnounce(tracker::Tracker& tracker, bool allow_ip_param)
      : tracker_(tracker), allow_ip_param_(allow_ip_param) {}
  void handle(const codec::HttpRequest& request, const core::Address& client,
              const tracker::RequestContext& ctx, std::string& out) const override;
  bool write_too_long(const codec::HttpRequest& request, tracker::WorkerState& state,
                      std::string& out) const override;

 private:
  tracker::Tracker& tracker_;
  bool allow_ip_param_;  // honour the announce's `ip` parameter
};

// A scrape that names no info_hash is a full scrape (full_scrape.hpp):
// the published bytes, gzipped when the client accepts it; with
// `full_scrape` null (tracker.full_scrape = false) it is refused.
class HttpScrape final : public BitTorrentHttp {
 public:
  HttpScrape(const tracker::Tracker& tracker, FullScrape* full_scrape)
      : tracker_(tracker), full_scrape_(full_scrape) {}
  void handle(const codec::HttpRequest& request, const core::Address& client,
              const tracker::RequestContext& ctx, std::string& out) const override;
  // Most often a scrape of too many hashes.
  bool write_too_long(const codec::HttpRequest& request, tracker::WorkerState& state,
                      std::string& out) const override;

 private:
  void full(const codec::HttpRequest& request, const core::Address& client,
            const tracker::RequestContext& ctx, std::string& out) const;

  const tracker::Tracker& tracker_;
  FullScrape* full_scrape_;
};

// GET /health answers "ok" (registered unlimited: see HttpRoute::Limit).
class HttpHealth final : public BitTorrentHttp {
 public:
  void handle(const codec::HttpRequest& request, const core::Address& client,
              const tracker::RequestContext& ctx, std::string& out) const override;
};

}  // namespace cairn::frontend
