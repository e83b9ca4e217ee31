#include "load/traffic.hpp"

namespace cairn::load {

namespace {
// Per announce, in percent: a small share of each event, like real swarms.
constexpr std::uint32_t kStartedPct = 2, kCompletedPct = 2, kStoppedPct = 2;
constexpr std::uint8_t kMaxPreloadAttempts = 8;
}  // namespace

LaneSpan LaneSpan::of(std::uint32_t lane, std::uint32_t lanes, const Workload& w) {
  std::uint32_t n = w.address_count(), per_address = lanes / n;
  LaneSpan s;
  s.address = lane % n;
  s.first = s.address + n * (lane / n);
  s.stride = n * per_address;
  s.count = s.first < w.peer_count() ? (w.peer_count() - 1 - s.first) / s.stride + 1 : 0;
  return s;
}

Traffic::Traffic(const Workload& workload, std::vector<std::uint8_t>& stopped, LaneSpan span,
                 const TrafficMix& mix, std::uint64_t rng_seed)
    : workload_(workload), stopped_(stopped), span_(span), mix_(mix), rng_(rng_seed) {
  if (mix_.preload && mix_.quota > span_.count) mix_.quota = span_.count;
}

bool Traffic::next(PlannedRequest& out) {
  if (mix_.preload) {
    if (!retries_.empty()) {
      out = retries_.back();
      retries_.pop_back();
      return true;
    }
    if (planned_ >= mix_.quota) return false;
    out = {};
    out.kind = PlannedRequest::Kind::announce;
    out.peer = span_.peer(static_cast<std::uint32_t>(planned_++));
    out.event = core::Event::started;
    out.seeder = workload_.seeder(out.peer);
    return true;
  }
  if (planned_ >= mix_.quota) return false;
  ++planned_;
  bool scrape =
      span_.count == 0 || static_cast<double>(rng_.next() >> 11) * 0x1p-53 < mix_.scrape_ratio;
  if (scrape)
    plan_scrape(out);
  else
    plan_announce(span_.peer(rng_.below(span_.count)), out);
  return true;
}

// A stopped peer comes back with started, so the population stays stable.
void Traffic::plan_announce(std::uint32_t peer, PlannedRequest& out) {
  out = {};
  out.kind = PlannedRequest::Kind::announce;
  out.peer = peer;
  out.seeder = workload_.seeder(peer);
  auto& stopped = stopped_[peer];
  if (stopped) {
    stopped = 0;
    out.event = core::Event::started;
    return;
  }
  std::uint32_t roll = rng_.below(100);
  if (roll < kStartedPct) {
    out.event = core::Event::started;
  } else if (roll < kStartedPct + kCompletedPct) {
    out.event = core::Event::completed;
    out.seeder = true;  // it just finished downloading
  } else if (roll < kStartedPct + kCompletedPct + kStoppedPct) {
    out.event = core::Event::stopped;
    stopped = 1;
  }
}

void Traffic::plan_scrape(PlannedRequest& out) {
  out = {};
  out.kind = PlannedRequest::Kind::scrape;
  out.hash_count = static_cast<std::uint8_t>(1 + rng_.below(PlannedRequest::kMaxScrape));
  for (std::uint32_t i = 0; i < out.hash_count; ++i)
    out.torrents[i] = rng_.below(workload_.torrent_count());
}

bool Traffic::retry(const PlannedRequest& r) {
  if (!mix_.preload) return true;  // outside preload a timeout is just counted
  if (r.attempts + 1 >= kMaxPreloadAttempts) return false;
  PlannedRequest again = r;
  ++again.attempts;
  retries_.push_back(again);
  return true;
}

}  // namespace cairn::load
