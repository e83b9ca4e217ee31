#pragma once
// The full scrape: every torrent in one reply (a scrape that names no
// info_hash), as opentracker and aquatic serve it. Building it reads the
// whole store, so it is never done on a worker: a background task
// (server/full_scrape_task.hpp) builds it and publishes the result here,
// and workers hand out the published bytes (bencoded, or gzipped for a
// client that accepts it; the WebSocket tracker's JSON). Each address gets
// it at most once per interval (tracker/full_scrape_limit.hpp).
//
// Built on demand: only when a client asked for it and the last build is
// missing or at least an interval old, so an idle tracker (or one on a
// shared store, where a build lists and scrapes every swarm there) never
// builds it. A request that finds the last build stale is still served it
// if it is less than two intervals old (the fresh one follows in a moment),
// else it is told to retry in a few seconds.
#include <condition_variable>
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

  // Publishes a build made from the store as it was at `built_at` (the
  // clock the takes are given), and clears the demand for one.
  void publish(std::shared_ptr<const FullScrapeBodies> bodies, core::Seconds built_at);
  // A build failed: the demand is cleared, so the next request asks again
  // rather than the task retrying at once.
  void build_failed();

  // What a client asking at `now` from `client` gets: the bodies, or a
  // reason it gets none (kFullScrapeTooSoon, kFullScrapeNotReady). A
  // `head_only` request (HTTP HEAD) sends no body, so the per-address limit,
  // which is there to spare the bandwidth, neither applies to it nor counts it.
  // A request that finds no build, or one an interval old, asks for a new one.
  struct Outcome {
    std::shared_ptr<const FullScrapeBodies> bodies;
    std::string_view refusal;
  };
  Outcome take(const core::Address& client, core::Seconds now, bool head_only = false);

  // For the task: blocks until a request asked for a build (true) or
  // stop_waiting() was called (false).
  bool wait_for_demand();
  void stop_waiting();
  // Whether a request asked for a build not yet published (for tests).
  bool demanded() const;

  core::Seconds interval() const { return limit_.interval(); }

 private:
  tracker::FullScrapeLimit limit_;
  mutable std::mutex mutex_;  // the fields below; the bodies are immutable
  std::condition_variable demand_;
  std::shared_ptr<const FullScrapeBodies> current_;
  core::Seconds built_at_ = 0;
  bool wanted_ = false;
  bool stopping_ = false;
};

}  // namespace cairn::frontend
