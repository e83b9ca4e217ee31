#include "load/ws_peer.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "codec/ws_tracker.hpp"

namespace cairn::load {

namespace {

constexpr std::uint64_t kLeecherLeft = 1 << 20;
// Session descriptions are opaque to trackers; these stand in for a
// browser's (about the size aquatic's load test sends).
constexpr std::string_view kOffer =
    R"({"type":"offer","sdp":"v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"})";
constexpr std::string_view kAnswer =
    R"({"type":"answer","sdp":"v=0\r\no=- 7382610449117620421 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"})";

std::uint32_t get32(const std::uint8_t* b) {
  return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3];
}
void put32(std::uint8_t* b, std::uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) b[i] = static_cast<std::uint8_t>(v);
}

// Workload::peer_id puts the peer index after the 8-byte client prefix.
std::uint32_t index_of(const core::PeerId& id) { return get32(id.bytes.data() + 8); }

}  // namespace

WsPeer::WsPeer(const Workload& workload, std::uint32_t peer, const WsPeerMix& mix,
               std::uint64_t rng_seed)
    : workload_(workload),
      peer_(peer),
      info_hash_(workload.hash(workload.torrent_of(peer))),
      peer_id_(workload.peer_id(peer)),
      mix_(mix),
      rng_(rng_seed) {}

// Offer n of peer p: p's index, n, then bytes that are neither (latin1
// bytes of every value, as browsers' random ids are).
core::OfferId WsPeer::offer_id(std::uint32_t n) const {
  core::OfferId id;
  put32(id.bytes.data(), peer_);
  put32(id.bytes.data() + 4, n);
  auto noise = mix64(peer_ ^ (std::uint64_t{n} << 32));
  for (int i = 8; i < 20; ++i, noise = noise >> 8 | noise << 56)
    id.bytes[i] = static_cast<std::uint8_t>(noise);
  return id;
}

bool WsPeer::same_torrent(const core::PeerId& id) const {
  auto p = index_of(id);
  return p < workload_.peer_count() && p != peer_ && workload_.peer_id(p) == id &&
         workload_.torrent_of(p) == workload_.torrent_of(peer_);
}

bool WsPeer::mine(const core::OfferId& id) const {
  auto n = get32(id.bytes.data() + 4);
  return get32(id.bytes.data()) == peer_ && n < offers_made_ && id == offer_id(n);
}

WsPeer::Sent WsPeer::next_request(bool offers, std::string& out) {
  if (started_ && mix_.scrape_ratio > 0 &&
      static_cast<double>(rng_.next() >> 11) * 0x1p-53 < mix_.scrape_ratio) {
    // 1-4 hashes, this peer's torrent and others (as a page with many torrents would).
    std::array<core::InfoHash, 4> hashes{info_hash_};
    std::size_t count = 1 + rng_.below(4);
    for (std::size_t i = 1; i < count; ++i)
      hashes[i] = workload_.hash(rng_.below(workload_.torrent_count()));
    codec::ws::encode_scrape_request(std::span(hashes.data(), count), out);
    return Sent::scrape;
  }
  std::array<std::pair<core::OfferId, std::string_view>, codec::ws::kMaxOffers> made;
  std::uint32_t count = offers ? std::min<std::uint32_t>(mix_.offers, made.size()) : 0;
  for (std::uint32_t i = 0; i < count; ++i) made[i] = {offer_id(offers_made_++), kOffer};
  codec::ws::AnnounceOut a;
  a.info_hash = info_hash_;
  a.peer_id = peer_id_;
  a.event = started_ ? core::Event::none : core::Event::started;
  a.left = workload_.seeder(peer_) ? 0 : kLeecherLeft;
  a.numwant = count;  // as the JS client does: one peer per offer
  a.offers = std::span(made.data(), count);
  last_offers_ = count;
  codec::ws::encode_announce_request(a, out);
  started_ = true;
  return Sent::announce;
}

WsPeer::Got WsPeer::on_message(std::string_view text, std::string& answer_out) {
  auto m = codec::ws::parse_server_message(text);
  if (!m) return Got::invalid;
  using codec::ws::ServerKind;
  switch (m->kind) {
    case ServerKind::error:
      return Got::error;
    case ServerKind::announce_reply:
      if (m->info_hash != info_hash_ || m->interval == 0) return Got::invalid;
      // The swarm counts this peer too: the others are who got its offers.
      awaiting_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(
          last_offers_,
          std::max<std::uint64_t>(std::uint64_t{m->complete} + m->incomplete, 1) - 1));
      last_offers_ = 0;
      return Got::announce_reply;
    case ServerKind::scrape_reply:
      return m->files.empty() ? Got::invalid : Got::scrape_reply;
    case ServerKind::offer:
      if (m->info_hash != info_hash_ || !same_torrent(m->peer_id)) return Got::invalid;
      codec::ws::encode_answer_request(info_hash_, peer_id_, m->peer_id, m->offer_id, kAnswer,
                                       answer_out);
      return Got::offer;
    case ServerKind::answer:
      if (m->info_hash != info_hash_ || !same_torrent(m->peer_id) || !mine(m->offer_id))
        return Got::invalid;
      if (awaiting_ > 0) --awaiting_;
      return Got::answer;
  }
  return Got::invalid;
}

}  // namespace cairn::load
