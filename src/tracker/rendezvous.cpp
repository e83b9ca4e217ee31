#include "tracker/rendezvous.hpp"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

namespace cairn::tracker {

std::optional<TopicAccess> parse_topic_access(std::string_view text) {
  for (auto access : {TopicAccess::open, TopicAccess::access_list})
    if (text == to_string(access)) return access;
  return std::nullopt;
}

std::string_view to_string(TopicAccess access) {
  return access == TopicAccess::access_list ? "access_list" : "open";
}

std::string_view error_code(RendezvousError e) {
  switch (e) {
    case RendezvousError::bad_record:
      return "bad_record";
    case RendezvousError::record_too_large:
      return "record_too_large";
    case RendezvousError::bad_signature:
      return "bad_signature";
    case RendezvousError::not_owner:
      return "not_owner";
    case RendezvousError::not_found:
      return "not_found";
    case RendezvousError::stale_sequence:
      return "stale_sequence";
    case RendezvousError::topic_full:
      return "topic_full";
    case RendezvousError::address_quota:
      return "address_quota";
    case RendezvousError::tracker_full:
      return "tracker_full";
    case RendezvousError::topic_not_allowed:
      return "topic_not_allowed";
  }
  return "internal_error";
}

std::string_view error_message(RendezvousError e) {
  switch (e) {
    case RendezvousError::bad_record:
      return "the record breaks a rule of docs/rendezvous.md";
    case RendezvousError::record_too_large:
      return "the record is larger than allowed";
    case RendezvousError::bad_signature:
      return "the signature does not verify";
    case RendezvousError::not_owner:
      return "the record belongs to another address";
    case RendezvousError::not_found:
      return "no such record";
    case RendezvousError::stale_sequence:
      return "seq is not above the last one seen";
    case RendezvousError::topic_full:
      return "the topic holds its maximum of records";
    case RendezvousError::address_quota:
      return "this address holds its maximum of records";
    case RendezvousError::tracker_full:
      return "the tracker takes no new records now";
    case RendezvousError::topic_not_allowed:
      return "this tracker does not serve that topic";
  }
  return "internal error";
}

namespace {

RendezvousError from_store(store::RecordStoreError e) {
  switch (e) {
    case store::RecordStoreError::topic_full:
      return RendezvousError::topic_full;
    case store::RecordStoreError::address_quota:
      return RendezvousError::address_quota;
    case store::RecordStoreError::tracker_full:
      return RendezvousError::tracker_full;
    case store::RecordStoreError::not_owner:
      return RendezvousError::not_owner;
    case store::RecordStoreError::stale_sequence:
      return RendezvousError::stale_sequence;
    case store::RecordStoreError::not_found:
      return RendezvousError::not_found;
    case store::RecordStoreError::busy:  // 503 with a Retry-After-worthy text
      return RendezvousError::tracker_full;
  }
  return RendezvousError::tracker_full;
}

bool verifies(const core::RecordId& key, const core::Signature& signature,
              std::string_view message) {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
  return crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.bytes.data()) == 0;
}

// A 32-byte id is a public key: it must come with a signature under it,
// and a 16-byte one must not.
std::optional<RendezvousError> check_identity(const core::RecordId& id,
                                              const std::optional<core::SignedBy>& signed_by) {
  if (id.size != core::RecordId::random_size && id.size != core::RecordId::key_size)
    return RendezvousError::bad_record;
  if (id.is_public_key() != signed_by.has_value()) return RendezvousError::bad_signature;
  return std::nullopt;
}

}  // namespace

std::uint32_t Rendezvous::grant(std::uint32_t asked) const {
  if (asked == 0) return policy_.default_ttl;
  return std::clamp<std::uint32_t>(asked, policy_.min_ttl, policy_.max_ttl);
}

// Topics and info hashes are both 20 bytes, so one list file names both.
bool Rendezvous::serves(const core::TopicId& topic, AccessView& access) const {
  return policy_.access == TopicAccess::open ||
         access.allows(core::InfoHash::from_bytes(topic.view()));
}

core::Result<Granted, RendezvousError> Rendezvous::register_record(const RegisterCall& call,
                                                                   core::Seconds now,
                                                                   AccessView& access) {
  if (!serves(call.topic, access)) return RendezvousError::topic_not_allowed;
  // Only a canonical body is stored, so what a key signed is what the
  // tracker returns, byte for byte.
  if (auto e = format_.check_body(call.body)) return *e;
  if (auto e = check_identity(call.id, call.signed_by)) return *e;
  if (call.signed_by &&
      !verifies(call.id, call.signed_by->signature,
                format_.register_message(call.topic, call.signed_by->seq, call.ttl, call.body)))
    return RendezvousError::bad_signature;

  store::RecordPut put;
  put.topic = call.topic;
  put.id = call.id;
  put.source = call.source;
  put.body = call.body;
  if (call.signed_by) {
    put.seq = call.signed_by->seq;
    put.signature = call.signed_by->signature;
  }
  put.now = now;
  put.ttl = grant(call.ttl);
  put.may_grow = !memory_.full_for_announce();
  if (auto version = store_.put(put); !version) return from_store(version.error());
  return Granted{put.ttl, put.ttl / 2};
}

core::Result<void, RendezvousError> Rendezvous::unregister(
    const core::TopicId& topic, const core::RecordId& id,
    const std::optional<core::SignedBy>& signed_by, const core::Address& source, core::Seconds now,
    AccessView& access) {
  if (!serves(topic, access)) return RendezvousError::topic_not_allowed;
  if (auto e = check_identity(id, signed_by)) return *e;
  if (signed_by &&
      !verifies(id, signed_by->signature, format_.remove_message(topic, signed_by->seq)))
    return RendezvousError::bad_signature;
  if (auto removed = store_.remove(topic, id, source, signed_by ? signed_by->seq : 0, now);
      !removed)
    return from_store(removed.error());
  return {};
}

namespace {

core::FoundRecord found(const store::StoredRecord& r, core::Seconds now) {
  core::FoundRecord f;
  f.id = r.id;
  f.body = r.body;
  f.source = r.source;
  if (r.is_signed()) f.signed_by = core::SignedBy{r.seq, r.signature};
  f.last_seen = now > r.registered ? now - r.registered : 0;
  f.expires_in = r.expires_at > now ? r.expires_at - now : 0;
  return f;
}

}  // namespace

core::Result<LookupOutcome, RendezvousError> Rendezvous::lookup(const LookupCall& call,
                                                                core::Seconds now,
                                                                AccessView& access,
                                                                const Sink& sink) const {
  if (!serves(call.topic, access)) return RendezvousError::topic_not_allowed;
  const std::uint32_t epoch = store_.epoch();
  // A cursor from another process (or none) reads from the start.
  const std::uint64_t after = call.cursor && call.cursor->epoch == epoch ? call.cursor->version : 0;
  const std::uint32_t limit = std::max<std::uint32_t>(call.limit, 1);
  LookupOutcome out;
  std::uint64_t last_taken = after;
  // Expired records may linger until the next sweep: never hand them out.
  const auto highest = store_.lookup(call.topic, after, [&](const store::StoredRecord& r) {
    if (r.expires_at <= now ||
        !(call.capability.empty() || format_.offers(r.body, call.capability)))
      return true;
    if (out.returned == limit || !sink(found(r, now))) {
      out.more = true;
      return false;
    }
    ++out.returned;
    last_taken = r.version;
    return true;
  });
  // A store that could not read the topic (busy) gave no answer, whatever
  // it visited first: the client retries, tracker_full.
  if (!highest) return from_store(highest.error());
  // `highest` is where the topic's versions stand, even when it held none
  // of `after` (a cursor from an earlier life of the topic).
  out.cursor = {epoch, out.more ? last_taken : *highest};
  return out;
}

core::Result<void, RendezvousError> Rendezvous::check_holder(const core::TopicId& topic,
                                                             const core::RecordId& id,
                                                             const core::Address& source,
                                                             core::Seconds now,
                                                             AccessView& access) const {
  if (!serves(topic, access)) return RendezvousError::topic_not_allowed;
  std::optional<bool> held;
  const auto read = store_.lookup(topic, 0, [&](const store::StoredRecord& r) {
    if (r.id != id) return true;
    if (r.expires_at > now) held = r.source == source;
    return false;
  });
  if (!read) return from_store(read.error());
  if (!held) return RendezvousError::not_found;
  if (!*held) return RendezvousError::not_owner;
  return {};
}

}  // namespace cairn::tracker
