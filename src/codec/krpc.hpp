#pragma once
// KRPC, the Mainline DHT's message format (BEP 5), with the extensions real
// clients send: BEP 32 (`nodes6`, `want`), BEP 33's `seed` flag on
// announce_peer, BEP 42 (the top-level `ip` field) and BEP 43 (`ro`). For
// both sides: the server decodes queries and encodes replies and errors; the
// test client and the load generator encode queries and decode replies.
//
// Decoding walks the packet once with a BencodeCursor and keeps views into
// it (the packet must outlive the Message): no tree, no allocation. Keys may
// come in any order (some clients do not sort them); keys the codec does not
// know are skipped within the depth and item limits. Encoders write into a
// caller's buffer and return the bytes written, 0 when it is too small.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/endpoint.hpp"
#include "core/result.hpp"

namespace cairn::codec::krpc {

inline constexpr std::size_t kMaxPacket = 1500;     // larger packets are malformed
inline constexpr std::size_t kMaxDepth = 4;         // KRPC nests 2 deep ("a" -> "want")
inline constexpr std::size_t kMaxItems = 512;       // values in one packet, keys included
inline constexpr std::size_t kMaxTransaction = 16;  // bytes of "t" (clients send 2 to 4)
inline constexpr std::size_t kMaxToken = 32;        // bytes of a write token
inline constexpr std::size_t kIdSize = 20;          // node ids, targets, info hashes
inline constexpr std::size_t kNodeSize4 = 26;       // compact node info: id, IPv4, port
inline constexpr std::size_t kNodeSize6 = 38;       // id, IPv6, port
// Cairn's "v": two letters and a version (BEP 20 style, as libtorrent's "LT").
inline constexpr std::string_view kVersion{"CA\x00\x01", 4};

enum class Type : std::uint8_t { query, response, error };
enum class Method : std::uint8_t { ping, find_node, get_peers, announce_peer, unknown };

std::string_view method_name(Method m);  // "" for unknown

// The error codes of BEP 5. The caller picks a fixed text for each
// situation; no error text is ever built from the request.
enum class ErrorCode : std::uint16_t { generic = 201, server = 202, protocol = 203, method = 204 };

// A decoded message. Views point into the packet; an absent string is empty.
struct Message {
  Type type = Type::query;
  std::string_view transaction;  // "t", never empty
  std::string_view version;      // "v"
  std::string_view ip;     // "ip": the receiver's address as the sender sees it (6 or 18 bytes)
  bool read_only = false;  // "ro" = 1 (BEP 43)

  // query ("q" and "a")
  Method method = Method::unknown;
  std::string_view method_name;       // as sent
  std::string_view id;                // "id" of "a" or "r": 20 bytes in every query and reply
  std::string_view target;            // find_node
  std::string_view info_hash;         // get_peers, announce_peer
  std::string_view token;             // announce_peer (query), get_peers (reply)
  std::optional<std::uint16_t> port;  // announce_peer
  bool implied_port = false;          // announce_peer: use the packet's source port
  bool seed = false;                  // announce_peer (BEP 33): the peer is a seed
  bool want_present = false;          // "want" was sent (BEP 32)
  bool want_n4 = false;
  bool want_n6 = false;

  // response ("r")
  std::string_view nodes;   // compact node infos, kNodeSize4 each
  std::string_view nodes6;  // kNodeSize6 each
  bool has_values = false;
  std::string_view values;  // the bencoded list as sent: read it with for_each_value
  std::size_t value_count = 0;

  // error ("e")
  std::int64_t error_code = 0;
  std::string_view error_message;
};

enum class DecodeError : std::uint8_t {
  too_large = 1,   // more than kMaxPacket bytes
  not_bencode,     // not one well-formed bencoded dict within the limits
  no_transaction,  // no usable "t"
  bad_type,        // "y" missing or not q/r/e
  bad_argument,    // a known key of the wrong type or size, or a required one missing
};

// Why a packet was refused, and whether a 203 may answer it: only a query
// whose own structure was sound enough to carry its transaction id. Garbage
// and replies are never answered (a spoofed source must not get traffic).
struct DecodeFailure {
  DecodeError error = DecodeError::not_bencode;
  bool query = false;
  std::string_view transaction;
  bool sendable() const { return query && !transaction.empty(); }
};

core::Result<Message, DecodeFailure> decode(std::span<const std::uint8_t> packet);

// Calls f(core::Endpoint) for each value of a decoded reply's "values" (6- or
// 18-byte compact peers; decode has checked their sizes).
template <class F>
void for_each_value(const Message& m, F&& f);

// The compact form of one node: id then compact endpoint (26 or 38 bytes).
// `out` must have room; returns the bytes written.
std::size_t write_compact_node(std::string_view id, const core::Endpoint& at, std::uint8_t* out);
// A compact endpoint (6 or 18 bytes) as an Endpoint; nullopt for other sizes.
std::optional<core::Endpoint> parse_compact_endpoint(std::string_view bytes);

// A query to encode. Every argument that is set is written, whatever the
// method (tests send queries that lack or misuse arguments on purpose).
struct Query {
  std::string_view transaction;
  Method method = Method::ping;
  std::string_view method_name;  // used when method is unknown
  std::string_view id;
  std::string_view target;
  std::string_view info_hash;
  std::string_view token;
  std::uint16_t port = 0;  // 0: no "port"
  bool implied_port = false;
  bool seed = false;
  bool want_n4 = false;  // neither: no "want"
  bool want_n6 = false;
  bool read_only = false;
  std::string_view version = kVersion;
};

// A reply ("y" = "r") to encode. Every reply carries "ip" (BEP 42) and "v".
struct Reply {
  std::string_view transaction;
  core::Endpoint requester;  // written as the top-level "ip"
  std::string_view id;
  std::optional<std::string_view> nodes;  // concatenated compact nodes
  std::optional<std::string_view> nodes6;
  std::optional<std::string_view> token;
  // "values": `values` holds concatenated compact peers of value_size
  // bytes each (6 or 18); value_size 0 leaves the key out.
  std::string_view values;
  std::size_t value_size = 0;
  std::string_view version = kVersion;
};

std::size_t encode_query(const Query& q, std::span<std::uint8_t> out);
std::size_t encode_reply(const Reply& r, std::span<std::uint8_t> out);
// An error ("y" = "e"): [code, text], plus "ip" and "v" as replies carry.
std::size_t encode_error(std::string_view transaction, ErrorCode code, std::string_view text,
                         const core::Endpoint& requester, std::span<std::uint8_t> out,
                         std::string_view version = kVersion);
// Bytes encode_reply writes for `r` without its values, and the bytes each
// value adds, so a caller can fill a reply up to a size.
std::size_t reply_size(const Reply& r);
inline std::size_t value_cost(std::size_t value_size) {
  return value_size + 2 + (value_size >= 10);
}

template <class F>
void for_each_value(const Message& m, F&& f) {
  if (!m.has_values) return;
  // values is "l" (len ":" bytes)* "e", checked by decode.
  std::size_t pos = 1;
  while (pos < m.values.size() && m.values[pos] != 'e') {
    const std::size_t colon = m.values.find(':', pos);
    const std::size_t len = m.values[pos] == '6' ? 6 : 18;
    if (auto e = parse_compact_endpoint(m.values.substr(colon + 1, len))) f(*e);
    pos = colon + 1 + len;
  }
}

}  // namespace cairn::codec::krpc
