#include "tracker/accounting.hpp"

namespace cairn::tracker {

Credit Ledger::apply(const AnnounceRecord& r, core::Seconds now) {
  const Key key{{r.user, r.info_hash}, r.peer_id};
  Credit credit;
  auto [it, fresh] = peers_.try_emplace(key);
  Baseline& b = it->second;
  const bool baseline = fresh || r.event == core::Event::started;
  const bool went_down = r.uploaded < b.uploaded || r.downloaded < b.downloaded;
  if (!baseline && !went_down) {
    credit.uploaded = r.uploaded - b.uploaded;
    credit.downloaded = r.downloaded - b.downloaded;
  }
  b.uploaded = r.uploaded;
  b.downloaded = r.downloaded;
  b.seen = now;
  // One snatch per peer: a client that repeats `completed` is not paid twice.
  if (r.event == core::Event::completed && !b.snatched) {
    b.snatched = true;
    credit.snatches = 1;
  }
  if (r.event == core::Event::stopped) peers_.erase(it);
  return credit;
}

std::size_t Ledger::expire(core::Seconds before) {
  return boost::unordered::erase_if(peers_, [&](const auto& p) { return p.second.seen < before; });
}

void Ledger::each_active(const std::function<void(UserId, std::uint32_t)>& f) const {
  boost::unordered_flat_map<UserTorrent, bool, UserTorrentHash> torrents;
  for (const auto& [key, b] : peers_) torrents.emplace(key.torrent, true);
  boost::unordered_flat_map<UserId, std::uint32_t> per_user;
  for (const auto& [t, _] : torrents) ++per_user[t.user];
  for (const auto& [user, n] : per_user) f(user, n);
}

}  // namespace cairn::tracker
