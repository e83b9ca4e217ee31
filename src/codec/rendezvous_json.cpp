#include "codec/rendezvous_json.hpp"

#include <sodium.h>

#include <algorithm>
#include <bitset>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <charconv>
#include <concepts>
#include <limits>

#include "codec/big_endian.hpp"

namespace cairn::codec::rv {

namespace {

namespace json = boost::json;
using Error = JsonError;

// The deepest documents read: a request is {meta {tags}}, and anything
// deeper is refused while parsing, before it costs memory. Answers nest
// at most {records [{meta {tags}}]}, with room for members a newer
// tracker may add.
constexpr unsigned kRequestDepth = 3;
constexpr unsigned kReplyDepth = 8;
// http.max_body is at most 1 MiB, so the server never gets here with more;
// the limit is for the client, which reads what a tracker sends.
constexpr std::size_t kMaxDocument = 1 << 20;
constexpr int kBase64 = sodium_base64_VARIANT_ORIGINAL;

// `problem` (requests only) says why a document was refused.
std::optional<json::value> parse_document(std::string_view text, unsigned depth,
                                          std::string_view* problem = nullptr) {
  std::string_view why;
  json::parse_options options;
  options.max_depth = depth;
  boost::system::error_code ec;
  if (text.size() > kMaxDocument) {
    why = "the body is over 1 MiB";
  } else {
    json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
    if (!ec) return v;
    why = ec == json::error::too_deep ? "the body nests objects or arrays deeper than a record does"
                                      : "the body is not JSON";
  }
  if (problem) *problem = why;
  return std::nullopt;
}

void append_document(const json::value& v, std::string& out) { out += json::serialize(v); }

std::string to_base64(std::string_view bin) {
  std::string out(sodium_base64_ENCODED_LEN(bin.size(), kBase64), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bin.data()),
                    bin.size(), kBase64);
  out.pop_back();  // the terminating NUL
  return out;
}

// Padding required, and libsodium refuses non-zero leftover bits, so each
// byte string has exactly one accepted spelling.
bool from_base64(std::string_view b64, std::string& out) {
  out.resize(b64.size() / 4 * 3 + 3);
  std::size_t size = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64.data(),
                        b64.size(), nullptr, &size, nullptr, kBase64) != 0)
    return false;
  out.resize(size);
  return true;
}

// --- reading values: each false when the type or range is wrong ---

std::optional<std::string_view> if_text(const json::value& v) {
  const auto* s = v.if_string();
  if (!s) return std::nullopt;
  return std::string_view(s->data(), s->size());
}

// Boost.JSON keeps integers up to 2^63-1 as int64 and above as uint64;
// doubles (1.0, 1e3) and negatives are refused.
template <std::unsigned_integral T>
requires(!std::same_as<T, bool>) bool read(const json::value& v, T& out) {
  std::uint64_t wide = 0;
  if (const auto* u = v.if_uint64())
    wide = *u;
  else if (const auto* i = v.if_int64(); i && *i >= 0)
    wide = static_cast<std::uint64_t>(*i);
  else
    return false;
  if (wide > std::numeric_limits<T>::max()) return false;
  out = static_cast<T>(wide);
  return true;
}

bool read(const json::value& v, bool& out) {
  const auto* b = v.if_bool();
  if (b) out = *b;
  return b != nullptr;
}

bool read(const json::value& v, std::string& out) {
  auto s = if_text(v);
  if (s) out = *s;
  return s.has_value();
}

bool read(const json::value& v, std::vector<std::string>& out) {
  const auto* a = v.if_array();
  if (!a) return false;
  out.clear();
  for (const auto& item : *a)
    if (!read(item, out.emplace_back())) return false;
  return true;
}

bool read(const json::value& v, std::vector<Tag>& out) {
  const auto* o = v.if_object();
  if (!o) return false;
  out.clear();
  for (const auto& m : *o) {
    out.push_back({std::string(m.key().data(), m.key().size()), {}});
    if (!read(m.value(), out.back().value)) return false;
  }
  return true;
}

bool read(const json::value& v, core::RecordId& out) {
  auto s = if_text(v);
  auto id = s ? core::RecordId::from_hex(*s) : std::nullopt;
  if (id) out = *id;
  return id.has_value();
}

bool read(const json::value& v, core::Signature& out) {
  auto s = if_text(v);
  return s && core::from_hex(*s, out);
}

template <class T>
bool read(const json::value& v, std::optional<T>& out) {
  T value{};
  if (!read(v, value)) return false;
  out = std::move(value);
  return true;
}

bool read_base64(const json::value& v, std::optional<std::string>& out) {
  auto s = if_text(v);
  std::string bytes;
  if (!s || !from_base64(*s, bytes)) return false;
  out = std::move(bytes);
  return true;
}

// --- what was wrong, for an error's message ---

// A name the client sent, quoted for a message: printable ASCII only (JSON
// keys may hold anything, query keys any byte), at most 32 bytes of it.
std::string quoted(std::string_view prefix, std::string_view name) {
  constexpr std::size_t kShown = 32;
  std::string out = "\"";
  out += prefix;
  for (char c : name.substr(0, kShown)) out.push_back(c >= 0x20 && c <= 0x7e ? c : '?');
  if (name.size() > kShown) out += "...";
  return out + "\"";
}

constexpr std::string_view kU32 = "need an integer from 0 to 4294967295";
constexpr std::string_view kU64 = "need an integer from 0 to 18446744073709551615";
constexpr std::string_view kStrings = "need an array of strings";
constexpr std::string_view kName = "need 1-32 letters, digits or .+-_/";

// What each request member must be (full names, "meta.up").
std::string_view expected_member(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> table[] = {
      {"id", "need 32 hex digits"},
      {"ttl", kU32},
      {"public_key", "need 64 hex digits (an Ed25519 public key)"},
      {"seq", kU64},
      {"signature", "need 128 hex digits"},
      {"addresses", kStrings},
      {"meta", "need an object"},
      {"meta.up", kU64},
      {"meta.down", kU64},
      {"meta.protocols", kStrings},
      {"meta.tags", "need an object of strings"},
      {"sealed", "need base64 (standard, padded)"},
  };
  for (const auto& [member, expected] : table)
    if (member == name) return expected;
  return "has the wrong type";
}

// --- reading objects ---

enum class Read : std::uint8_t { ok, bad, unknown };
Read result(bool ok) { return ok ? Read::ok : Read::bad; }

// How a document's members are read. A request strictly: a member nobody
// knows is an error (a typo must not turn into a default), and the first
// problem is kept for the error's message. An answer leniently: unknown
// members are skipped (a newer tracker may add some).
struct Reading {
  bool strict = false;
  std::string problem;  // "" while none
  void note(std::string text) {
    if (strict && problem.empty()) problem = std::move(text);
  }
};

// fn(key, value) for each member; `prefix` names the enclosing member
// ("meta.") in messages. A member given twice counts once, with its last
// value (Boost.JSON keeps that one).
template <class Fn>
bool read_members(const json::value& v, Reading& reading, std::string_view prefix, Fn&& fn) {
  const auto* o = v.if_object();
  if (!o) return false;
  for (const auto& m : *o) {
    const std::string_view key(m.key().data(), m.key().size());
    Read r = fn(key, m.value());
    if (r == Read::bad) {
      const std::string name = std::string(prefix) + std::string(key);
      reading.note("member \"" + name + "\": " + std::string(expected_member(name)));
      return false;
    }
    if (r == Read::unknown && reading.strict) {
      reading.note("unknown member " + quoted(prefix, key));
      return false;
    }
  }
  return true;
}

// Members of answers, where nothing is noted.
template <class Fn>
bool read_answer_members(const json::value& v, Fn&& fn) {
  Reading lenient;
  return read_members(v, lenient, "", std::forward<Fn>(fn));
}

bool read_meta(const json::value& v, Record& r, Reading& reading) {
  return read_members(v, reading, "meta.", [&](std::string_view key, const json::value& m) {
    if (key == "up") return result(read(m, r.up_bps));
    if (key == "down") return result(read(m, r.down_bps));
    if (key == "protocols") return result(read(m, r.protocols));
    if (key == "tags") return result(read(m, r.tags));
    return Read::unknown;
  });
}

// The members that carry a record's content, in requests and answers alike.
Read read_record_member(std::string_view key, const json::value& v, Record& r, Reading& reading) {
  if (key == "addresses") return result(read(v, r.addresses));
  if (key == "meta") return result(read_meta(v, r, reading));
  if (key == "sealed") return result(read_base64(v, r.sealed));
  return Read::unknown;
}

// The members of a signed record: all three or none.
struct SignedFields {
  std::optional<core::RecordId> public_key;
  std::optional<std::uint64_t> seq;
  std::optional<core::Signature> signature;

  Read read_member(std::string_view key, const json::value& v) {
    if (key == "public_key") return result(read(v, public_key) && public_key->is_public_key());
    if (key == "seq") return result(read(v, seq));
    if (key == "signature") return result(read(v, signature));
    return Read::unknown;
  }
  bool any() const { return public_key || seq || signature; }
  bool all() const { return public_key && seq && signature; }
  SignedBy signed_by() const { return {*seq, *signature}; }
};

// An unsigned record is named by a random `id`, a signed one by its key:
// exactly one of the two. The problem when not.
std::optional<std::string_view> identify(const std::optional<core::RecordId>& id,
                                         const SignedFields& s, RegisterRequest& r) {
  if (id) {
    if (s.any()) return R"(give either "id" or "public_key", "seq" and "signature", not both)";
    if (id->is_public_key())
      return R"(member "id": 64 hex digits are a public key; a signed record sends "public_key", )"
             R"("seq" and "signature")";
    r.id = *id;
    return std::nullopt;
  }
  if (!s.any())
    return R"(missing member "id" (or "public_key", "seq" and "signature" for a signed record))";
  if (!s.public_key)
    return R"(missing member "public_key": a signed record needs "public_key", "seq" and )"
           R"("signature")";
  if (!s.seq)
    return R"(missing member "seq": a signed record needs "public_key", "seq" and "signature")";
  if (!s.signature)
    return R"(missing member "signature": a signed record needs "public_key", "seq" and )"
           R"("signature")";
  r.id = *s.public_key;
  r.signed_by = s.signed_by();
  return std::nullopt;
}

Error to_json_error(RecordError e) {
  return e == RecordError::record_too_large ? Error::record_too_large : Error::bad_record;
}

bool read_entry(const json::value& v, LookupReply::Entry& e) {
  std::optional<core::RecordId> id;
  std::optional<std::uint32_t> last_seen, expires_in;
  std::optional<std::string> body;
  SignedFields s;
  Reading lenient;
  bool ok = read_members(v, lenient, "", [&](std::string_view key, const json::value& m) {
    if (key == "id") return result(read(m, id));
    if (key == "last_seen") return result(read(m, last_seen));
    if (key == "expires_in") return result(read(m, expires_in));
    if (key == "body") return result(read_base64(m, body));
    if (auto r = s.read_member(key, m); r != Read::unknown) return r;
    return read_record_member(key, m, e.record, lenient);
  });
  if (!ok || !id || !last_seen || !expires_in) return false;
  e.id = *id;
  e.last_seen = *last_seen;
  e.expires_in = *expires_in;
  if (!s.any() && !body) return true;
  // A signed record's id is its key, and it comes with what the key signed.
  if (!s.all() || !body || *s.public_key != *id) return false;
  e.signed_by = s.signed_by();
  e.body = std::move(*body);
  return true;
}

bool read_entries(const json::value& v, std::vector<LookupReply::Entry>& out) {
  const auto* a = v.if_array();
  if (!a) return false;
  for (const auto& item : *a)
    if (!read_entry(item, out.emplace_back())) return false;
  return true;
}

// --- writing ---

json::array to_array(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

// A record's content members; unspecified addresses filled with `source`
// when given (answers), kept as they are otherwise (requests). Empty
// members are left out, as a request may leave them out.
void put_record(const Record& r, const core::Address* source, json::object& o) {
  if (!r.addresses.empty()) {
    json::array addresses;
    for (const auto& a : r.addresses) addresses.emplace_back(source ? fill_address(a, *source) : a);
    o["addresses"] = std::move(addresses);
  }
  json::object meta;
  if (r.up_bps) meta["up"] = *r.up_bps;
  if (r.down_bps) meta["down"] = *r.down_bps;
  if (!r.protocols.empty()) meta["protocols"] = to_array(r.protocols);
  if (!r.tags.empty()) {
    json::object tags;
    for (const auto& t : r.tags) tags[t.key] = t.value;
    meta["tags"] = std::move(tags);
  }
  if (!meta.empty()) o["meta"] = std::move(meta);
  if (r.sealed) o["sealed"] = to_base64(*r.sealed);
}

void put_signed(const core::RecordId& key, const SignedBy& s, json::object& o) {
  o["public_key"] = key.hex();
  o["seq"] = s.seq;
  o["signature"] = core::to_hex(s.signature);
}

json::object found_record(const FoundRecord& f, const Record& record) {
  json::object o;
  o["id"] = f.id.hex();
  put_record(record, &f.source, o);
  o["last_seen"] = f.last_seen;
  o["expires_in"] = f.expires_in;
  if (f.signed_by) {
    put_signed(f.id, *f.signed_by, o);
    o["body"] = to_base64(f.body);
  }
  return o;
}

// --- query strings ---

// Plain decimal: digits only, no sign, in range.
bool parse_decimal(std::string_view s, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

// A query parameter a request may carry, and what its value must be.
struct Param {
  std::string_view key, expected;
};

// Reads a query (percent-decoded by Boost.URL; '+' stays '+', as names may
// hold it) whose keys are all in `keys`, each at most once. An empty value
// counts as absent, as forms send it. fn(index, value) reads one. When
// false, `problem` says what was wrong.
template <std::size_t N, class Fn>
bool read_params(std::string_view text, const std::array<Param, N>& keys, std::string& problem,
                 Fn&& fn) {
  // Boost.URL 1.81's parse_query() measures its input again with strlen()
  // (boostorg/url#757, #946; found by fuzz/rendezvous_json_fuzz.cpp), so a
  // query that is a view into a request buffer would be read past its end,
  // the rest of the request taken for parameters. It gets a NUL-terminated
  // copy; a NUL inside fails the grammar before strlen() is reached.
  const std::string terminated(text);
  auto params = boost::urls::parse_query(terminated);
  if (!params) {
    problem = "the query string is not well-formed: check its percent-encoding";
    return false;
  }
  std::bitset<N> seen;
  for (const auto& p : *params) {
    if (p.key.empty() && !p.has_value) continue;  // "" or "a&&b"
    const std::string key = p.key.decode();
    auto at = std::find_if(keys.begin(), keys.end(), [&](const Param& k) { return k.key == key; });
    if (at == keys.end()) {
      problem = "unknown parameter " + quoted("", key);
      return false;
    }
    const auto index = static_cast<std::size_t>(at - keys.begin());
    if (seen[index]) {
      problem = "parameter \"" + key + "\" given twice";
      return false;
    }
    seen[index] = true;
    auto value = p.value.decode();
    if (!value.empty() && !fn(index, value)) {
      problem = "parameter \"" + key + "\": " + std::string(at->expected);
      return false;
    }
  }
  return true;
}

// Digits only. 0 reads as the default and anything over max_limit as
// max_limit, however many digits: a client asking for "all" gets the most.
bool read_limit(std::string_view v, std::uint32_t& limit) {
  if (!std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  auto digits = v.substr(std::min(v.find_first_not_of('0'), v.size()));
  std::uint32_t n = 0;
  if (digits.size() > 3)
    n = LookupQuery::max_limit;
  else if (!digits.empty())
    std::from_chars(digits.data(), digits.data() + digits.size(), n);
  limit = n == 0 ? LookupQuery::default_limit : std::min(n, LookupQuery::max_limit);
  return true;
}

}  // namespace

std::string_view error_code(JsonError e) {
  switch (e) {
    case Error::bad_record:
      return "bad_record";
    case Error::record_too_large:
      return "record_too_large";
    default:
      return "bad_request";
  }
}

static_assert(kMaxBody == 1040, "parse_register_request's text names the limit");

core::Result<RegisterRequest, RequestError> parse_register_request(std::string_view json) {
  std::string_view not_json;
  auto doc = parse_document(json, kRequestDepth, &not_json);
  if (!doc) return RequestError{Error::bad_request, std::string(not_json)};
  RegisterRequest r;
  std::optional<core::RecordId> id;
  std::optional<std::uint32_t> ttl;
  SignedFields s;
  Reading reading;
  reading.strict = true;
  bool ok = read_members(*doc, reading, "", [&](std::string_view key, const json::value& v) {
    if (key == "id") return result(read(v, id));
    if (key == "ttl") return result(read(v, ttl));
    if (auto m = s.read_member(key, v); m != Read::unknown) return m;
    return read_record_member(key, v, r.record, reading);
  });
  if (!ok) {
    reading.note("the body is not a JSON object");  // unless a member's problem came first
    return RequestError{Error::bad_request, std::move(reading.problem)};
  }
  if (auto problem = identify(id, s, r))
    return RequestError{Error::bad_request, std::string(*problem)};
  // 0 asks for the default, as it does over UDP and in the signed message.
  if (ttl && *ttl != 0) r.ttl = ttl;
  if (auto problem = check_record(r.record))
    return RequestError{to_json_error(problem->error), std::string(problem->what)};
  auto body = encode_body(r.record);
  if (!body)
    return RequestError{to_json_error(body.error()), "the record body is over 1,040 bytes"};
  r.body = std::move(*body);
  return r;
}

core::Result<LookupQuery, RequestError> parse_lookup_query(std::string_view text) {
  enum : std::size_t { limit, capability, cursor };
  static constexpr std::array<Param, 3> keys{
      {{"limit", "need a number"},
       {"capability", kName},
       {"cursor", "need the 24 hex digits of an earlier answer's cursor"}}};
  LookupQuery q;
  std::string problem;
  bool ok = read_params(text, keys, problem, [&](std::size_t key, std::string_view v) {
    if (key == limit) return read_limit(v, q.limit);
    if (key == capability) {
      q.capability = v;
      return valid_name(v);
    }
    return (q.cursor = Cursor::from_hex(v)).has_value();
  });
  if (!ok) return RequestError{Error::bad_request, std::move(problem)};
  return q;
}

core::Result<RemoveQuery, RequestError> parse_remove_query(std::string_view text) {
  static constexpr std::array<Param, 2> keys{{{"seq", kU64}, {"signature", "need 128 hex digits"}}};
  std::optional<std::uint64_t> seq;
  std::optional<core::Signature> signature;
  std::string problem;
  bool ok = read_params(text, keys, problem, [&](std::size_t key, std::string_view v) {
    if (key == 0) return parse_decimal(v, seq.emplace());
    return core::from_hex(v, signature.emplace());
  });
  if (!ok) return RequestError{Error::bad_request, std::move(problem)};
  if (seq.has_value() != signature.has_value())
    return RequestError{Error::bad_request, R"(parameters "seq" and "signature" go together)"};
  RemoveQuery q;
  if (seq) q.signed_by = SignedBy{*seq, *signature};
  return q;
}

void encode_register_reply(const core::RecordId& id, std::uint32_t ttl,
                           std::uint32_t reannounce_after, const core::Endpoint& observed,
                           std::string& out) {
  append_document(json::object{{"id", id.hex()},
                               {"ttl", ttl},
                               {"reannounce_after", reannounce_after},
                               {"observed", observed.to_string()}},
                  out);
}

void encode_lookup_reply(std::span<const FoundRecord> records, const Cursor& cursor, bool more,
                         std::string& out) {
  json::array list;
  for (const auto& f : records)
    if (auto record = decode_body(f.body)) list.emplace_back(found_record(f, *record));
  json::object o{{"records", std::move(list)}, {"cursor", cursor.hex()}};
  if (more) o["more"] = true;
  append_document(o, out);
}

void encode_removed(std::string& out) { append_document(json::object{{"removed", true}}, out); }

void encode_whoami(const core::Endpoint& observed, std::string& out) {
  append_document(json::object{{"address", observed.address.to_string()}, {"port", observed.port}},
                  out);
}

void encode_error(std::string_view code, std::string_view message, std::string& out) {
  append_document(json::object{{"error", json::object{{"code", code}, {"message", message}}}}, out);
}

std::string encode_register_request(const RegisterRequest& request) {
  json::object o;
  if (request.signed_by)
    put_signed(request.id, *request.signed_by, o);
  else
    o["id"] = request.id.hex();
  put_record(request.record, nullptr, o);
  if (request.ttl) o["ttl"] = *request.ttl;
  return json::serialize(o);
}

std::string encode_lookup_query(const LookupQuery& q) {
  std::string out = "limit=" + std::to_string(q.limit);
  if (!q.capability.empty())
    out += "&capability=" + boost::urls::encode(q.capability, boost::urls::unreserved_chars);
  if (q.cursor) out += "&cursor=" + q.cursor->hex();
  return out;
}

std::string encode_remove_query(const RemoveQuery& q) {
  if (!q.signed_by) return {};
  return "seq=" + std::to_string(q.signed_by->seq) +
         "&signature=" + core::to_hex(q.signed_by->signature);
}

core::Result<RegisterReply, JsonError> parse_register_reply(std::string_view json) {
  auto doc = parse_document(json, kReplyDepth);
  std::optional<std::uint32_t> ttl, reannounce_after;
  std::optional<std::string> observed;
  bool ok = doc && read_answer_members(*doc, [&](std::string_view key, const json::value& v) {
              if (key == "ttl") return result(read(v, ttl));
              if (key == "reannounce_after") return result(read(v, reannounce_after));
              if (key == "observed") return result(read(v, observed));
              return Read::unknown;
            });
  if (!ok || !ttl || !reannounce_after || !observed) return Error::bad_request;
  return RegisterReply{*ttl, *reannounce_after, std::move(*observed)};
}

core::Result<LookupReply, JsonError> parse_lookup_reply(std::string_view json) {
  auto doc = parse_document(json, kReplyDepth);
  LookupReply r;
  bool records = false, cursor = false;
  bool ok = doc && read_answer_members(*doc, [&](std::string_view key, const json::value& v) {
              if (key == "records") return result(records = read_entries(v, r.records));
              if (key == "cursor") return result(cursor = read(v, r.cursor));
              if (key == "more") return result(read(v, r.more));
              return Read::unknown;
            });
  if (!ok || !records || !cursor) return Error::bad_request;
  return r;
}

core::Result<core::Endpoint, JsonError> parse_whoami_reply(std::string_view json) {
  auto doc = parse_document(json, kReplyDepth);
  std::optional<core::Address> address;
  std::optional<std::uint16_t> port;
  bool ok = doc && read_answer_members(*doc, [&](std::string_view key, const json::value& v) {
              if (key == "address") {
                auto text = if_text(v);
                address = text ? core::Address::parse(*text) : std::nullopt;
                return result(address.has_value());
              }
              if (key == "port") return result(read(v, port));
              return Read::unknown;
            });
  if (!ok || !address || !port) return Error::bad_request;
  return core::Endpoint{*address, *port};
}

std::optional<ErrorReply> parse_error_reply(std::string_view json) {
  auto doc = parse_document(json, kReplyDepth);
  const auto* root = doc ? doc->if_object() : nullptr;
  const auto* error = root ? root->if_contains("error") : nullptr;
  std::optional<std::string> code, message;
  bool ok = error && read_answer_members(*error, [&](std::string_view key, const json::value& v) {
              if (key == "code") return result(read(v, code));
              if (key == "message") return result(read(v, message));
              return Read::unknown;
            });
  if (!ok || !code || !message) return std::nullopt;
  return ErrorReply{std::move(*code), std::move(*message)};
}

}  // namespace cairn::codec::rv
