#pragma once
// The full scrape: every torrent in one reply (a scrape that names no
// info_hash), as opentracker and aquatic serve it. Building it reads the
// whole store, so it is never done on a worker: a background task
// (server/full_scrape_task.hpp) calls build() every interval and
// publishes the result here, and workers hand out the published bytes
// (bencoded, or gzipped for a client that accepts it; the WebSocket
// tracker's JSON). Each address gets it at most once per interval
// (tracker/full_scrape_limit.hpp).
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "tracker/full_scrape_limit.hpp"
#include "tracker/tracker.hpp"

namespace cairn::frontend {

struct FullScrapeBodies {
  std::string bencoded;  // d5:filesd<hash>d8:completei..e...eee (BEP 48)
  std::string gzipped;   // the same bytes, gzip
  std::string ws_json;   // the WebSocket tracker's scrape reply, every torrent
  std::size_t torrents = 0;
};

// Fixed reasons a client sees.
inline constexpr std::string_view kFullScrapeOff =
    "full scrape is disabled on this tracker: name an info_hash";
inline constexpr std::string_view kFullScrapeTooSoon =
    "full scrape served to this address already: at most one per interval, retry later";
inline constexpr std::string_view kFullScrapeNotReady =
    "full scrape is being prepared: retry in a few seconds";

class FullScrape {
 public:
  explicit FullScrape(core::Seconds interval) : limit_(interval) {}

  // Every swarm of `tracker` (WebSocket peers counted), encoded each way.
  static std::shared_ptr<const FullScrapeBodies> build(const tracker::Tracker& tracker);

  void publish(std::shared_ptr<const FullScrapeBodies> bodies);

  // What a client asking at `now` from `client` gets: the bodies, or a
  // reason it gets none (kFullScrapeTooSoon, kFullScrapeNotReady). A
  // `head_only` request (HTTP HEAD) sends no body, so the per-address limit,
  // which is there to spare the bandwidth, neither applies to it nor counts it.
  struct Outcome {
    std::shared_ptr<const FullScrapeBodies> bodies;
    std::string_view refusal;
  };
  Outcome take(const core::Address& client, core::Seconds now, bool head_only = false);

  core::Seconds interval() const { return limit_.interval(); }

 private:
  tracker::FullScrapeLimit limit_;
  mutable std::mutex mutex_;  // for the pointer only; the bodies are immutable
  std::shared_ptr<const FullScrapeBodies> current_;
};

}  // namespace cairn::frontend
