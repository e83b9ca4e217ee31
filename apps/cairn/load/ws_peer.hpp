#pragma once
// One simulated browser (WebTorrent) peer on one WebSocket connection, as
// aquatic's ws load test plays it: a peer id in one torrent of the
// workload (Zipf popularity), announcing with offers, answering every
// offer it is sent, now and then scraping. Pure: it writes the JSON of
// what to send and checks the JSON it is sent, and the driver does the I/O.
//
// Like a browser, a peer announces with new offers only once the answers
// to its last ones are in (as many as the reply's swarm counts say other
// peers were there to take them), or after a wait: its unanswered offers
// stay few, as a tracker's bounded memory of them expects.
//
// Offer ids carry the sender's peer index and a counter, and peer ids
// carry the peer index (Workload::peer_id), so a relayed message is
// checked end to end: an offer must come from another peer of the same
// torrent, an answer must answer an offer this peer made to a peer of its
// torrent.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/ids.hpp"
#include "core/random.hpp"
#include "load/workload.hpp"

namespace cairn::load {

struct WsPeerMix {
  std::uint32_t offers = 10;  // per announce
  double scrape_ratio = 0.1;  // of announces/scrapes (answers not counted)
};

class WsPeer {
 public:
  enum class Sent : std::uint8_t { announce, scrape };
  enum class Got : std::uint8_t {
    announce_reply,  // for this peer's torrent
    scrape_reply,
    offer,   // another peer's offer: answer_json holds the answer to send
    answer,  // an answer to one of this peer's offers
    error,   // a "failure reason" (the tracker refused something)
    invalid  // not a message of the protocol, or not one this peer could be sent
  };

  WsPeer(const Workload& workload, std::uint32_t peer, const WsPeerMix& mix,
         std::uint64_t rng_seed);

  // The next announce (the first is event=started) or scrape. `offers`
  // false: an announce without offers (preload). Appends its JSON to out.
  Sent next_request(bool offers, std::string& out);
  // Reads one text message from the tracker; an offer's answer is appended
  // to `answer_out`.
  Got on_message(std::string_view text, std::string& answer_out);
  // A new connection: the next announce is `started` again.
  void restart() {
    started_ = false;
    awaiting_ = 0;
  }
  // Whether the answers to the last offers are in (or no longer expected).
  bool answered() const { return awaiting_ == 0; }
  // Gives up on the answers still awaited (their offerees left, or were
  // never there); returns how many.
  std::uint32_t stop_awaiting() { return std::exchange(awaiting_, 0u); }

 private:
  core::OfferId offer_id(std::uint32_t n) const;
  bool same_torrent(const core::PeerId& id) const;
  bool mine(const core::OfferId& id) const;

  const Workload& workload_;
  std::uint32_t peer_;
  core::InfoHash info_hash_;
  core::PeerId peer_id_;
  WsPeerMix mix_;
  core::Rng rng_;
  bool started_ = false;
  std::uint32_t offers_made_ = 0;
  std::uint32_t last_offers_ = 0;  // in the announce awaiting its reply
  std::uint32_t awaiting_ = 0;     // answers still expected to the last offers
};

}  // namespace cairn::load
