#include "server/full_scrape_task.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

namespace cairn::server {

void FullScrapeTask::start() {
  thread_ = std::thread([this] {
    while (full_scrape_.wait_for_demand()) build_once();
  });
}

void FullScrapeTask::stop() {
  full_scrape_.stop_waiting();
  if (thread_.joinable()) thread_.join();
}

void FullScrapeTask::build_once() {
  const auto began = std::chrono::steady_clock::now();
  // The store as it is from here on: the build's age counts from its start.
  const core::Seconds as_of = now_();
  try {
    auto bodies = frontend::FullScrape::build(tracker_);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - began)
                        .count();
    spdlog::debug("full scrape: {} torrents, {} bytes ({} gzipped), built in {} ms",
                  bodies->torrents, bodies->bencoded.size(), bodies->gzipped.size(), ms);
    full_scrape_.publish(std::move(bodies), as_of);
  } catch (const std::exception& e) {
    // Out of memory most likely: the last one published stays served while
    // it is young enough, and the next request asks again.
    spdlog::error("full scrape not rebuilt, serving the previous one: {}", e.what());
    full_scrape_.build_failed();
  }
}

}  // namespace cairn::server
