#pragma once
// The rendezvous API over UDP (docs/rendezvous.md, "UDP API"): actions 16-19
// after a BEP 15 connect, both directions. Like codec/udp_tracker.hpp, no
// sockets: spans in, bytes out. Views in parsed messages point into the
// packet. Errors go back as BEP 15 error packets (udp::encode_error_response),
// under the same rule: only `sendable` errors, and never larger than the
// request.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "codec/rendezvous_json.hpp"  // Cursor, SignedBy
#include "codec/udp_tracker.hpp"      // ParseError
#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/record_id.hpp"
#include "core/result.hpp"

namespace cairn::codec::rvudp {

enum class Action : std::uint32_t {
  register_record = 16,
  lookup = 17,
  unregister = 18,
  whoami = 19
};

// Whether a packet's action (bytes 8..11) is one of the above; the frontend
// sends those here and the rest to udp::parse_request.
bool is_rendezvous(std::span<const std::uint8_t> packet);

// The most bytes an answer may take, so it crosses any path MTU whole.
inline constexpr std::size_t kMaxReply = 1200;

struct Header {
  std::uint64_t connection_id = 0;
  std::uint32_t transaction_id = 0;
};

struct RegisterRequest {
  Header header;
  core::TopicId topic;
  std::uint32_t ttl = 0;  // 0: the default
  core::RecordId id;
  std::optional<rv::SignedBy> signed_by;
  std::string_view body;  // not yet checked: the tracker decodes it
};
struct LookupRequest {
  Header header;
  core::TopicId topic;
  std::uint8_t limit = 0;            // 0: as many as fit
  std::optional<rv::Cursor> cursor;  // all zeros on the wire: none
  std::string_view capability;
};
struct UnregisterRequest {
  Header header;
  core::TopicId topic;
  core::RecordId id;
  std::optional<rv::SignedBy> signed_by;
};
struct WhoamiRequest {
  Header header;
};
using Request = std::variant<RegisterRequest, LookupRequest, UnregisterRequest, WhoamiRequest>;

core::Result<Request, udp::ParseError> parse_request(std::span<const std::uint8_t> packet);

// Server answers: each writes into `out` and returns the size (0 if `out` is
// too small).
std::size_t encode_register_response(std::uint32_t transaction_id, std::uint32_t ttl,
                                     std::uint32_t reannounce_after, std::span<std::uint8_t> out);
std::size_t encode_unregister_response(std::uint32_t transaction_id, std::span<std::uint8_t> out);
std::size_t encode_whoami_response(std::uint32_t transaction_id, const core::Endpoint& observed,
                                   std::span<std::uint8_t> out);

// A look-up answer, written record by record until the next would not fit
// in min(out.size(), kMaxReply); finish() writes the cursor, flags and count.
class LookupResponseWriter {
 public:
  LookupResponseWriter(std::uint32_t transaction_id, std::span<std::uint8_t> out);
  // False (and nothing written) when the record does not fit.
  bool add(const rv::FoundRecord& record);
  // Returns the answer's size.
  std::size_t finish(const rv::Cursor& cursor, bool more);
  std::size_t count() const { return count_; }

 private:
  std::span<std::uint8_t> out_;
  std::size_t size_;
  std::size_t count_ = 0;
};

// --- client side ---
std::size_t encode_register_request(const RegisterRequest& r, std::span<std::uint8_t> out);
std::size_t encode_lookup_request(const LookupRequest& r, std::span<std::uint8_t> out);
std::size_t encode_unregister_request(const UnregisterRequest& r, std::span<std::uint8_t> out);
std::size_t encode_whoami_request(const Header& h, std::span<std::uint8_t> out);

struct RegisterResponse {
  std::uint32_t transaction_id = 0;
  std::uint32_t ttl = 0, reannounce_after = 0;
};
struct UnregisterResponse {
  std::uint32_t transaction_id = 0;
};
struct WhoamiResponse {
  std::uint32_t transaction_id = 0;
  core::Endpoint observed;
};
struct LookupResponse {
  std::uint32_t transaction_id = 0;
  rv::Cursor cursor;
  bool more = false;
  std::vector<rv::FoundRecord> records;
};
using Response = std::variant<RegisterResponse, LookupResponse, UnregisterResponse, WhoamiResponse,
                              udp::ErrorResponse>;

core::Result<Response, udp::ResponseError> parse_response(std::span<const std::uint8_t> packet);

}  // namespace cairn::codec::rvudp
