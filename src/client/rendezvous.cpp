#include "client/rendezvous.hpp"

#include <variant>

#include "codec/rendezvous_record.hpp"
#include "codec/rendezvous_udp.hpp"

namespace cairn::client {

namespace rv = codec::rv;
namespace rvudp = codec::rvudp;

namespace {

std::string records_path(const TrackerUrl& url, const core::TopicId& topic) {
  return url.api_base() + "/v1/topics/" + topic.hex() + "/records";
}

// An answer other than `expected` is the tracker's error document (or not
// the API at all).
Error http_failure(const TrackerUrl& url, const HttpAnswer& answer) {
  if (auto e = rv::parse_error_reply(answer.body))
    return answered_with(url.text + ": " + e->code + ": " + e->message);
  return answered_with(url.text + ": HTTP " + std::to_string(answer.status));
}

Result<HttpAnswer> call(const TrackerUrl& url, std::string_view method, const std::string& target,
                        std::string_view body, Millis timeout) {
  auto answer = http_exchange(url, method, target, body, timeout);
  if (!answer) return answer.error();
  if (answer->status != 200) return http_failure(url, *answer);
  return answer;
}

// A UDP answer that is an error packet, as an Error; else the response.
Result<rvudp::Response> udp_answer(const TrackerUrl& url,
                                   const Result<std::vector<std::uint8_t>>& answer) {
  if (!answer) return answer.error();
  auto parsed = rvudp::parse_response(*answer);
  if (!parsed) return answered_with(url.text + ": malformed answer");
  if (const auto* e = std::get_if<codec::udp::ErrorResponse>(&*parsed))
    return answered_with(url.text + ": " + std::string(e->message));
  return *parsed;
}

template <class T>
Result<T> expect(const TrackerUrl& url, const Result<rvudp::Response>& response) {
  if (!response) return response.error();
  if (const auto* r = std::get_if<T>(&*response)) return *r;
  return answered_with(url.text + ": unexpected answer");
}

// What a UDP answer carries becomes what the JSON one says: the body
// decoded, unspecified addresses filled with the record's source.
std::optional<FoundEntry> entry_of(const rv::FoundRecord& f) {
  auto record = rv::decode_body(f.body);
  if (!record) return std::nullopt;
  for (auto& a : record->addresses) a = rv::fill_address(a, f.source);
  FoundEntry e;
  e.id = f.id;
  e.record = std::move(*record);
  e.signed_by = f.signed_by;
  if (f.signed_by) e.body = f.body;
  e.last_seen = f.last_seen;
  e.expires_in = f.expires_in;
  return e;
}

}  // namespace

Result<Registered> register_http(const TrackerUrl& url, const Registration& r, Millis timeout) {
  rv::RegisterRequest request;
  request.id = r.id;
  request.record = r.record;
  if (r.ttl) request.ttl = r.ttl;
  request.signed_by = r.signed_by;
  auto answer =
      call(url, "POST", records_path(url, r.topic), rv::encode_register_request(request), timeout);
  if (!answer) return answer.error();
  auto reply = rv::parse_register_reply(answer->body);
  if (!reply) return answered_with(url.text + ": malformed answer");
  return Registered{reply->ttl, reply->reannounce_after};
}

Result<Registered> register_udp(UdpSession& session, const Registration& r, Millis timeout,
                                int tries) {
  auto body = rv::encode_body(r.record);
  if (!body) return Error{std::string("the record: ") + std::string(rv::error_code(body.error()))};
  auto answer = session.exchange(
      [&](std::uint64_t cid, std::uint32_t txid, std::span<std::uint8_t> out) {
        rvudp::RegisterRequest q{{cid, txid}, r.topic, r.ttl, r.id, r.signed_by, *body};
        return rvudp::encode_register_request(q, out);
      },
      timeout, tries);
  auto reply = expect<rvudp::RegisterResponse>(session.url(), udp_answer(session.url(), answer));
  if (!reply) return reply.error();
  return Registered{reply->ttl, reply->reannounce_after};
}

Result<std::vector<FoundEntry>> lookup_http(const TrackerUrl& url, const core::TopicId& topic,
                                            std::string_view capability, Millis timeout) {
  std::vector<FoundEntry> found;
  rv::LookupQuery query;
  query.limit = rv::LookupQuery::max_limit;
  query.capability = capability;
  for (int page = 0; page < kMaxPages; ++page) {
    auto answer = call(url, "GET", records_path(url, topic) + "?" + rv::encode_lookup_query(query),
                       "", timeout);
    if (!answer) return answer.error();
    auto reply = rv::parse_lookup_reply(answer->body);
    if (!reply) return answered_with(url.text + ": malformed answer");
    for (auto& e : reply->records) found.push_back(std::move(e));
    if (!reply->more) break;
    query.cursor = rv::Cursor::from_hex(reply->cursor);
    if (!query.cursor) return answered_with(url.text + ": malformed cursor");
  }
  return found;
}

Result<std::vector<FoundEntry>> lookup_udp(UdpSession& session, const core::TopicId& topic,
                                           std::string_view capability, Millis timeout, int tries) {
  std::vector<FoundEntry> found;
  std::optional<rv::Cursor> cursor;
  for (int page = 0; page < kMaxPages; ++page) {
    auto answer = session.exchange(
        [&](std::uint64_t cid, std::uint32_t txid, std::span<std::uint8_t> out) {
          rvudp::LookupRequest q{{cid, txid}, topic, 0, cursor, capability};
          return rvudp::encode_lookup_request(q, out);
        },
        timeout, tries);
    auto reply = expect<rvudp::LookupResponse>(session.url(), udp_answer(session.url(), answer));
    if (!reply) return reply.error();
    for (const auto& f : reply->records)
      if (auto e = entry_of(f)) found.push_back(std::move(*e));
    if (!reply->more) break;
    cursor = reply->cursor;
  }
  return found;
}

Result<void> unregister_http(const TrackerUrl& url, const core::TopicId& topic,
                             const core::RecordId& id, const std::optional<rv::SignedBy>& signed_by,
                             Millis timeout) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on
  // a chain of operator+ here.
  std::string target = records_path(url, topic);
  target.append("/").append(id.hex());
  if (signed_by) target.append("?").append(rv::encode_remove_query({signed_by}));
  auto answer = call(url, "DELETE", target, "", timeout);
  if (!answer) return answer.error();
  return {};
}

Result<void> unregister_udp(UdpSession& session, const core::TopicId& topic,
                            const core::RecordId& id, const std::optional<rv::SignedBy>& signed_by,
                            Millis timeout, int tries) {
  auto answer = session.exchange(
      [&](std::uint64_t cid, std::uint32_t txid, std::span<std::uint8_t> out) {
        rvudp::UnregisterRequest q{{cid, txid}, topic, id, signed_by};
        return rvudp::encode_unregister_request(q, out);
      },
      timeout, tries);
  auto reply = expect<rvudp::UnregisterResponse>(session.url(), udp_answer(session.url(), answer));
  if (!reply) return reply.error();
  return {};
}

Result<core::Endpoint> whoami_http(const TrackerUrl& url, Millis timeout) {
  auto answer = call(url, "GET", url.api_base() + "/v1/whoami", "", timeout);
  if (!answer) return answer.error();
  auto observed = rv::parse_whoami_reply(answer->body);
  if (!observed) return answered_with(url.text + ": malformed answer");
  return *observed;
}

Result<core::Endpoint> whoami_udp(UdpSession& session, Millis timeout, int tries) {
  auto answer = session.exchange(
      [&](std::uint64_t cid, std::uint32_t txid, std::span<std::uint8_t> out) {
        return rvudp::encode_whoami_request({cid, txid}, out);
      },
      timeout, tries);
  auto reply = expect<rvudp::WhoamiResponse>(session.url(), udp_answer(session.url(), answer));
  if (!reply) return reply.error();
  return reply->observed;
}

}  // namespace cairn::client
