#pragma once
// The rendezvous API (docs/rendezvous.md) for one tracker, over HTTP (JSON)
// and UDP (binary), with the codecs the server uses. A look-up follows the
// cursor while the tracker says there is more, so a caller gets the whole
// topic (up to kMaxPages pages).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/error.hpp"
#include "client/transport.hpp"
#include "codec/rendezvous_json.hpp"
#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/record_id.hpp"

namespace cairn::client {

struct Registration {
  core::TopicId topic;
  core::RecordId id;
  codec::rv::Record record;
  std::uint32_t ttl = 0;  // asked for; 0: the tracker's default
  std::optional<codec::rv::SignedBy> signed_by;
};

struct Registered {
  std::uint32_t ttl = 0, reannounce_after = 0;
};

using FoundEntry = codec::rv::LookupReply::Entry;  // addresses already filled in

inline constexpr int kMaxPages = 50;

Result<Registered> register_http(const TrackerUrl& url, const Registration& r, Millis timeout);
Result<Registered> register_udp(UdpSession& session, const Registration& r, Millis timeout,
                                int tries);

Result<std::vector<FoundEntry>> lookup_http(const TrackerUrl& url, const core::TopicId& topic,
                                            std::string_view capability, Millis timeout);
Result<std::vector<FoundEntry>> lookup_udp(UdpSession& session, const core::TopicId& topic,
                                           std::string_view capability, Millis timeout, int tries);

Result<void> unregister_http(const TrackerUrl& url, const core::TopicId& topic,
                             const core::RecordId& id,
                             const std::optional<codec::rv::SignedBy>& signed_by, Millis timeout);
Result<void> unregister_udp(UdpSession& session, const core::TopicId& topic,
                            const core::RecordId& id,
                            const std::optional<codec::rv::SignedBy>& signed_by, Millis timeout,
                            int tries);

Result<core::Endpoint> whoami_http(const TrackerUrl& url, Millis timeout);
Result<core::Endpoint> whoami_udp(UdpSession& session, Millis timeout, int tries);

}  // namespace cairn::client
