#include "server/full_scrape_task.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace cairn::server {

void FullScrapeTask::start() {
  thread_ = std::thread([this] { loop(); });
}

void FullScrapeTask::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FullScrapeTask::loop() {
  const auto interval = std::chrono::seconds(full_scrape_.interval());
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    build_once();
    lock.lock();
    wake_.wait_for(lock, interval, [&] { return stopping_; });
  }
}

void FullScrapeTask::build_once() {
  const auto began = std::chrono::steady_clock::now();
  try {
    auto bodies = frontend::FullScrape::build(tracker_);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - began)
                        .count();
    spdlog::debug("full scrape: {} torrents, {} bytes ({} gzipped), built in {} ms",
                  bodies->torrents, bodies->bencoded.size(), bodies->gzipped.size(), ms);
    full_scrape_.publish(std::move(bodies));
  } catch (const std::exception& e) {
    // Out of memory most likely: the last one published stays served.
    spdlog::error("full scrape not rebuilt, serving the previous one: {}", e.what());
  }
}

}  // namespace cairn::server
