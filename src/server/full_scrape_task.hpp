#pragma once
// The full scrape's background task: a thread of its own that builds the
// full scrape (frontend::FullScrape::build, the whole store) at start and
// then every tracker.full_scrape_interval, and publishes it for the
// workers, so no worker ever waits on a listing of every torrent.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/time.hpp"
#include "frontend/full_scrape.hpp"
#include "tracker/tracker.hpp"

namespace cairn::server {

class FullScrapeTask {
 public:
  // Both must outlive this.
  FullScrapeTask(const tracker::Tracker& tracker, frontend::FullScrape& full_scrape)
      : tracker_(tracker), full_scrape_(full_scrape) {}
  ~FullScrapeTask() { stop(); }
  FullScrapeTask(const FullScrapeTask&) = delete;
  FullScrapeTask& operator=(const FullScrapeTask&) = delete;

  void start();
  // Wakes the thread and joins it; a build under way finishes first.
  void stop();

 private:
  void loop();
  void build_once();

  const tracker::Tracker& tracker_;
  frontend::FullScrape& full_scrape_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace cairn::server
