#pragma once
// The rendezvous HTTP API's JSON and query strings (docs/rendezvous.md,
// "HTTP API"), both directions: the server parses requests and encodes
// answers, the client (src/client) encodes requests and parses answers.
// Parsing uses Boost.JSON with the input already bounded by http.max_body;
// unknown members are refused, so a typo is an error and not a default.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/rendezvous_record.hpp"
#include "core/endpoint.hpp"
#include "core/ids.hpp"
#include "core/record_id.hpp"
#include "core/rendezvous.hpp"
#include "core/result.hpp"

namespace cairn::codec::rv {

// The vocabulary (core/rendezvous.hpp), by the names the codec always used.
using core::Cursor;
using core::FoundRecord;
using core::SignedBy;

// POST /v1/topics/{topic}/records
struct RegisterRequest {
  core::RecordId id;  // the public key when `signed_by` is set
  Record record;
  std::string body;                  // encode_body(record), filled by the parser
  std::optional<std::uint32_t> ttl;  // asked for; absent: the default
  std::optional<SignedBy> signed_by;
};

// GET /v1/topics/{topic}/records?limit=&capability=&cursor=
struct LookupQuery {
  static constexpr std::uint32_t default_limit = core::kLookupDefaultLimit,
                                 max_limit = core::kLookupMaxLimit;
  std::uint32_t limit = default_limit;  // clamped to 1..max_limit
  std::string capability;               // "" for any
  std::optional<Cursor> cursor;
};

// DELETE /v1/topics/{topic}/records/{id}[?seq=N&signature=HEX]
struct RemoveQuery {
  std::optional<SignedBy> signed_by;
};

enum class JsonError : std::uint8_t {
  bad_request = 1,  // not JSON, wrong types, unknown or missing members, bad query
  bad_record,
  record_too_large,
};
std::string_view error_code(JsonError e);

// Why a request was refused: its code, and for the error's message what was
// wrong and what was expected (`unknown member "adresses"`, `member "ttl":
// need an integer from 0 to 4294967295`). Fixed texts, with at most a name
// the client sent, made printable and short; nothing internal.
struct RequestError {
  JsonError code = JsonError::bad_request;
  std::string detail;
};

core::Result<RegisterRequest, RequestError> parse_register_request(std::string_view json);
core::Result<LookupQuery, RequestError> parse_lookup_query(std::string_view text);
core::Result<RemoveQuery, RequestError> parse_remove_query(std::string_view text);

// Answers (server side). Each appends one JSON document to `out`.
void encode_register_reply(const core::RecordId& id, std::uint32_t ttl,
                           std::uint32_t reannounce_after, const core::Endpoint& observed,
                           std::string& out);
// Records whose body does not decode are skipped (the store holds only
// canonical bodies, so none should be).
void encode_lookup_reply(std::span<const FoundRecord> records, const Cursor& cursor, bool more,
                         std::string& out);
void encode_removed(std::string& out);
void encode_whoami(const core::Endpoint& observed, std::string& out);
void encode_error(std::string_view code, std::string_view message, std::string& out);

// The client side: requests to send, answers to read.
std::string encode_register_request(const RegisterRequest& request);
std::string encode_lookup_query(const LookupQuery& query);
std::string encode_remove_query(const RemoveQuery& query);

struct RegisterReply {
  std::uint32_t ttl = 0, reannounce_after = 0;
  std::string observed;
};
// A look-up answer as the client reads it: addresses already filled in by
// the server; `body` only for signed records.
struct LookupReply {
  struct Entry {
    core::RecordId id;
    Record record;
    std::optional<SignedBy> signed_by;
    std::string body;
    std::uint32_t last_seen = 0, expires_in = 0;
  };
  std::vector<Entry> records;
  std::string cursor;
  bool more = false;
};
struct ErrorReply {
  std::string code, message;
};
core::Result<RegisterReply, JsonError> parse_register_reply(std::string_view json);
core::Result<LookupReply, JsonError> parse_lookup_reply(std::string_view json);
core::Result<core::Endpoint, JsonError> parse_whoami_reply(std::string_view json);
// nullopt when `json` is not an error document.
std::optional<ErrorReply> parse_error_reply(std::string_view json);

}  // namespace cairn::codec::rv
