#pragma once
// Cairn's client library, the public header: announce yourself to several
// redundant trackers and look up who else is there, for a BitTorrent info
// hash (BEP 3/15 announces), a rendezvous topic, or a shared secret (sealed
// records: docs/rendezvous.md).
//
// Trackers come in BEP 12 tiers. Within a tier, the trackers are tried in
// order until one answers, and the one that did moves to the front for next
// time; tiers are independent of each other, so `lookup` asks all of them
// in parallel and merges what they return, and an announcer keeps each tier
// on its own schedule (the interval that tier's tracker granted).
//
//   client::Client c(*client::parse_tiers({{"udp://a:6969", "http://b/announce"}}),
//                    client::Subject::for_secret("our room"));
//   client::Presence me{{":7000"}, {}, 0};
//   client::Announcer(c, me).run(stop_flag, report);   // until stop_flag
//   auto found = c.lookup();
//
// Blocking calls with timeouts; one Client is used by one thread at a time
// (lookup's own threads each use one tier).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/error.hpp"
#include "client/rendezvous.hpp"
#include "client/sealed.hpp"
#include "client/signer.hpp"
#include "client/tracker_url.hpp"
#include "client/transport.hpp"
#include "codec/rendezvous_record.hpp"
#include "core/ids.hpp"
#include "core/record_id.hpp"

namespace cairn::client {

// Tiers from text: each inner list one tier, in order.
Result<Tiers> parse_tiers(const std::vector<std::vector<std::string>>& text);

// What to announce under or look up.
struct Subject {
  enum class Kind : std::uint8_t { info_hash, topic, sealed };
  Kind kind = Kind::topic;
  core::InfoHash info_hash;
  core::TopicId topic;  // for sealed: derived from the secret
  std::optional<SealedKeys> sealed;

  static Subject for_info_hash(const core::InfoHash& h);
  static Subject for_topic(const core::TopicId& t);
  static Subject for_secret(std::string_view secret);
};

// What a client says about itself (presence_check.hpp checks it).
struct Presence {
  // "ip:port", ":port" (the address a tracker sees), or a URL. For an info
  // hash, one "ip:port" or ":port": the IP is sent, but BitTorrent trackers
  // use it only if they trust client-given addresses, else the address they
  // see.
  std::vector<std::string> addresses;
  codec::rv::Record meta;  // bandwidth, protocols, tags (its addresses are ignored)
  std::uint32_t ttl = 0;   // asked for; 0: the tracker's default
};

struct Options {
  Millis timeout{3000};  // per request to one tracker
  int udp_tries = 2;
};

// The outcome of announcing to (or withdrawing from) one tier.
struct TierOutcome {
  std::size_t tier = 0;
  std::string tracker;                 // the one that answered; "" if none did
  std::uint32_t reannounce_after = 0;  // seconds
  std::vector<std::string> errors;     // of each tracker that failed
  bool answered = false;               // one that failed did answer (with an error)
  bool ok() const { return !tracker.empty(); }
  // For a tier that failed: "tier 2: no tracker answered; ERROR; ERROR", or
  // "tier 2: failed; ..." when one answered with an error.
  std::string failure() const;
};

// One peer of a merged look-up.
struct FoundPeer {
  std::vector<std::string> addresses;
  std::optional<FoundEntry> record;   // rendezvous: id, meta, last_seen, expires_in
  std::vector<std::string> trackers;  // which trackers returned it
};

// A tracker that answers with peers of one address family only: BEP 15
// gives the family of the socket asked over.
struct OneFamily {
  std::string tracker;
  core::Family family = core::Family::v4;
};

struct LookupOutcome {
  std::vector<FoundPeer> peers;
  std::vector<std::string> errors;  // TierOutcome::failure() of tiers that failed
  std::size_t tiers_answered = 0;
  std::vector<OneFamily> one_family;  // of the trackers that answered
  std::size_t undecryptable = 0;      // sealed records dropped: not ours
};

class Client {
 public:
  Client(Tiers tiers, Subject subject, Options options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Signs every registration and removal from now on (rendezvous topics
  // and secrets): the record's id becomes the key's public half, and only
  // this key can change or remove it (docs/rendezvous.md, "Signed records").
  void sign_with(Signer signer);

  std::size_t tier_count() const { return tiers_.size(); }
  const Subject& subject() const { return subject_; }
  const core::RecordId& record_id() const { return record_id_; }

  TierOutcome announce(std::size_t tier, const Presence& presence);
  TierOutcome withdraw(std::size_t tier, const Presence& presence);
  LookupOutcome lookup(std::string_view capability = "");

 private:
  struct Tracker;
  using Action = std::function<Result<std::uint32_t>(Tracker&)>;
  TierOutcome on_tier(std::size_t tier, const Action& action);
  Result<std::uint32_t> announce_to(Tracker& t, const Presence& presence, bool stop);
  Result<std::uint32_t> register_at(Tracker& t, const Presence& presence);
  Result<std::uint32_t> unregister_at(Tracker& t);
  Result<std::vector<FoundPeer>> lookup_at(Tracker& t, std::string_view capability);
  Result<codec::rv::Record> record_for(Tracker& t, const Presence& presence);
  Result<std::vector<FoundPeer>> found_records(Tracker& t, std::vector<FoundEntry> entries);

  std::vector<std::vector<std::unique_ptr<Tracker>>> tiers_;
  Subject subject_;
  Options options_;
  core::RecordId record_id_;  // one record per client, the same on every tracker
  std::optional<Signer> signer_;
  std::mutex signer_mutex_;  // tiers announce in parallel; sequence numbers must rise
  core::PeerId peer_id_;
  std::uint32_t key_ = 0;
};

// Keeps a presence announced: every tier at once first, then each when its
// tracker said to come back; a tier that failed is retried after a back-off.
// run() returns when `stop` becomes true, after withdrawing from every tier
// that had accepted the presence (unless `once`: then it returns after the
// first round, leaving the presence to expire).
class Announcer {
 public:
  Announcer(Client& client, Presence presence) : client_(client), presence_(std::move(presence)) {}
  using Report = std::function<void(const TierOutcome&, bool withdrawing)>;
  void run(const std::atomic<bool>& stop, const Report& report, bool once = false);

 private:
  Client& client_;
  Presence presence_;
};

}  // namespace cairn::client
