#pragma once
// The rendezvous API's logic (docs/rendezvous.md), whichever frontend
// decoded the request (JSON over HTTP, binary over UDP): checks a record's
// body (through a RecordFormat) and signature, grants its TTL within the policy's bounds, and turns
// register / look-up / remove into RecordStore calls. The store decides
// ownership and caps atomically; this layer decides what a request may ask.
// Thread-safe (the store is).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/record_id.hpp"
#include "core/rendezvous.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "store/record_store.hpp"
#include "tracker/access_list.hpp"
#include "tracker/memory_guard.hpp"

namespace cairn::tracker {

// Which topics the API serves: any, or only those the tracker's access list
// allows (as it allows info hashes), so a closed tracker is not an open
// record store.
enum class TopicAccess : std::uint8_t { open, access_list };

std::optional<TopicAccess> parse_topic_access(std::string_view text);
std::string_view to_string(TopicAccess access);

struct RendezvousPolicy {
  // Off: the frontends answer the API's requests as they answer an unknown
  // path or action; nothing here is called.
  bool enabled = true;
  TopicAccess access = TopicAccess::open;
  core::Seconds min_ttl = 60;
  core::Seconds max_ttl = 3600;
  core::Seconds default_ttl = 600;
};

enum class RendezvousError : std::uint8_t {
  bad_record = 1,
  record_too_large,
  bad_signature,
  not_owner,
  not_found,
  stale_sequence,
  topic_full,
  address_quota,
  tracker_full,
  topic_not_allowed,
};

// The stable code ("topic_full", ...) and a fixed message for each error.
std::string_view error_code(RendezvousError e);
std::string_view error_message(RendezvousError e);

struct RegisterCall {
  core::TopicId topic;
  core::RecordId id;
  std::string_view body;  // as the client sent it; checked here
  std::uint32_t ttl = 0;  // asked for; 0: the default
  std::optional<core::SignedBy> signed_by;
  core::Address source;  // the client's address
};

struct Granted {
  std::uint32_t ttl = 0;
  std::uint32_t reannounce_after = 0;
};

struct LookupCall {
  core::TopicId topic;
  std::uint32_t limit = core::kLookupDefaultLimit;
  std::string_view capability;  // "" for any
  std::optional<core::Cursor> cursor;
};

struct LookupOutcome {
  core::Cursor cursor;  // pass it back to continue after what was returned
  bool more = false;    // records are left that `limit` or the sink cut off
  std::uint32_t returned = 0;
};

// What the rules need to know of a record's bytes, whose format the codec
// defines (codec/rendezvous_record.hpp): this layer includes no codec, and
// the frontend layer supplies the codec's answers (frontend::record_format()),
// so every protocol still gets the same checks, in the same order, here.
class RecordFormat {
 public:
  virtual ~RecordFormat() = default;
  // nullopt for a canonical body that keeps every limit; else bad_record or
  // record_too_large.
  virtual std::optional<RendezvousError> check_body(std::string_view body) const = 0;
  // Whether a stored body lists `capability` among its protocols.
  virtual bool offers(std::string_view body, std::string_view capability) const = 0;
  // The exact bytes a signed record's key signs to register and to remove
  // it (docs/rendezvous.md, "Signed records"); `ttl` as the client asked.
  virtual std::string register_message(const core::TopicId& topic, std::uint64_t seq,
                                       std::uint32_t ttl, std::string_view body) const = 0;
  virtual std::string remove_message(const core::TopicId& topic, std::uint64_t seq) const = 0;
};

// Every call takes the worker's view of the access list: with
// TopicAccess::access_list, a topic the list does not allow is refused with
// topic_not_allowed before the store is touched.
class Rendezvous {
 public:
  Rendezvous(const RendezvousPolicy& policy, store::RecordStore& store, MemoryGuard& memory,
             const RecordFormat& format)
      : policy_(policy), store_(store), memory_(memory), format_(format) {}

  core::Result<Granted, RendezvousError> register_record(const RegisterCall& call,
                                                         core::Seconds now, AccessView& access);
  core::Result<void, RendezvousError> unregister(const core::TopicId& topic,
                                                 const core::RecordId& id,
                                                 const std::optional<core::SignedBy>& signed_by,
                                                 const core::Address& source, core::Seconds now,
                                                 AccessView& access);

  // Hands matching records, oldest registration first, to `sink` until
  // `limit` are taken or the sink refuses one (false: it did not fit). The
  // sink runs under the store's lock for the topic: it must only copy.
  using Sink = std::function<bool(const core::FoundRecord&)>;
  core::Result<LookupOutcome, RendezvousError> lookup(const LookupCall& call, core::Seconds now,
                                                      AccessView& access, const Sink& sink) const;

  const RendezvousPolicy& policy() const { return policy_; }
  bool enabled() const { return policy_.enabled; }

 private:
  std::uint32_t grant(std::uint32_t asked) const;
  bool serves(const core::TopicId& topic, AccessView& access) const;

  RendezvousPolicy policy_;
  store::RecordStore& store_;
  MemoryGuard& memory_;
  const RecordFormat& format_;
};

}  // namespace cairn::tracker
