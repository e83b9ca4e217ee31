#include "frontend/full_scrape.hpp"

#include <vector>

#include "codec/gzip.hpp"
#include "codec/http_tracker.hpp"
#include "codec/ws_tracker.hpp"

namespace cairn::frontend {

std::shared_ptr<const FullScrapeBodies> FullScrape::build(const tracker::Tracker& tracker) {
  std::vector<store::SwarmEntry> swarms;
  tracker.list_swarms(swarms);
  auto bodies = std::make_shared<FullScrapeBodies>();
  bodies->torrents = swarms.size();
  {
    std::vector<codec::ScrapeFile> files;
    files.reserve(swarms.size());
    for (const auto& s : swarms)
      files.push_back({s.info_hash, s.counts.seeders, s.counts.downloaded, s.counts.leechers});
    codec::encode_scrape_reply(files, bodies->bencoded);
  }
  bodies->gzipped = codec::gzip(bodies->bencoded);
  std::vector<codec::ws::ScrapeFileOut> files;
  files.reserve(swarms.size());
  for (const auto& s : swarms)
    files.push_back({s.info_hash, s.counts.seeders, s.counts.leechers, s.counts.downloaded});
  codec::ws::encode_scrape_reply(files, bodies->ws_json);
  return bodies;
}

void FullScrape::publish(std::shared_ptr<const FullScrapeBodies> bodies, core::Seconds built_at) {
  std::lock_guard lock(mutex_);
  current_ = std::move(bodies);
  built_at_ = built_at;
  wanted_ = false;
}

void FullScrape::build_failed() {
  std::lock_guard lock(mutex_);
  wanted_ = false;
}

FullScrape::Outcome FullScrape::take(const core::Address& client, core::Seconds now,
                                     bool head_only) {
  std::shared_ptr<const FullScrapeBodies> bodies;
  {
    std::lock_guard lock(mutex_);
    const core::Seconds age = now >= built_at_ ? now - built_at_ : 0;
    const core::Seconds interval = limit_.interval();
    if ((!current_ || age >= interval) && !wanted_) {
      wanted_ = true;
      demand_.notify_all();
    }
    if (current_ && age / 2 < interval) bodies = current_;
  }
  // Not ready (or too old to serve): the address keeps its turn.
  if (!bodies) return {nullptr, kFullScrapeNotReady};
  if (!head_only && !limit_.admit(client, now)) return {nullptr, kFullScrapeTooSoon};
  return {std::move(bodies), {}};
}

bool FullScrape::wait_for_demand() {
  std::unique_lock lock(mutex_);
  demand_.wait(lock, [&] { return wanted_ || stopping_; });
  return !stopping_;
}

bool FullScrape::demanded() const {
  std::lock_guard lock(mutex_);
  return wanted_;
}

void FullScrape::stop_waiting() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  demand_.notify_all();
}

}  // namespace cairn::frontend
