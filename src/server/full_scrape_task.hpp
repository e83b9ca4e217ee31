#pragma once
// The full scrape's background task: a thread of its own that builds the
// full scrape (frontend::FullScrape::build, the whole store) when a
// request asked for one (frontend/full_scrape.hpp decides when that is:
// no build yet, or the last one an interval old), and publishes it for
// the workers, so no worker ever waits on a listing of every torrent and
// nobody lists them while nobody asks.
#include <functional>
#include <thread>

#include "core/time.hpp"
#include "frontend/full_scrape.hpp"
#include "tracker/tracker.hpp"

namespace cairn::server {

class FullScrapeTask {
 public:
  // All must outlive this; `now` is the clock the workers' requests carry.
  FullScrapeTask(const tracker::Tracker& tracker, frontend::FullScrape& full_scrape,
                 std::function<core::Seconds()> now)
      : tracker_(tracker), full_scrape_(full_scrape), now_(std::move(now)) {}
  ~FullScrapeTask() { stop(); }
  FullScrapeTask(const FullScrapeTask&) = delete;
  FullScrapeTask& operator=(const FullScrapeTask&) = delete;

  void start();
  // Wakes the thread and joins it; a build under way finishes first.
  void stop();

 private:
  void build_once();

  const tracker::Tracker& tracker_;
  frontend::FullScrape& full_scrape_;
  std::function<core::Seconds()> now_;
  std::thread thread_;
};

}  // namespace cairn::server
