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

void FullScrape::publish(std::shared_ptr<const FullScrapeBodies> bodies) {
  std::lock_guard lock(mutex_);
  current_ = std::move(bodies);
}

FullScrape::Outcome FullScrape::take(const core::Address& client, core::Seconds now,
                                     bool head_only) {
  std::shared_ptr<const FullScrapeBodies> bodies;
  {
    std::lock_guard lock(mutex_);
    bodies = current_;
  }
  // Not ready yet: the address keeps its turn.
  if (!bodies) return {nullptr, kFullScrapeNotReady};
  if (!head_only && !limit_.admit(client, now)) return {nullptr, kFullScrapeTooSoon};
  return {std::move(bodies), {}};
}

}  // namespace cairn::frontend
