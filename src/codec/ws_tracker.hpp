#pragma once
// The WebTorrent tracker protocol: the JSON messages that the npm
// `bittorrent-tracker` client and server, aquatic_ws and libtorrent's
// WebTorrent client exchange over a WebSocket (docs/protocols.md,
// "WebSocket tracker"). Both directions and both sides: the server parses
// requests and encodes replies, offers and answers; the load generator and
// tests encode requests and parse what the server sends.
//
// 20-byte ids (info_hash, peer_id, offer_id, to_peer_id) travel as JSON
// strings of 20 code points from U+0000 to U+00FF, one per byte ("latin1"
// strings: what JavaScript's binary strings are); in UTF-8, bytes from 0x80
// up take two bytes. Anything else where an id belongs is refused. The
// encoder writes bytes below 0x20 as \u00XX, '"' and '\' escaped, and the
// rest as the code point itself.
//
// Offers and answers (WebRTC session descriptions) are opaque: any JSON
// object, relayed as it arrived: byte for byte on the fast path
// (ws_request_scan.hpp), re-serialized (the same JSON value) when the
// general parser read the message.
// Members a client adds that Cairn has no use for (uploaded, downloaded,
// trackerid, ...) are ignored; a member Cairn reads with the wrong type is
// refused.
#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"

namespace cairn::codec::ws {

// The most info hashes one scrape may ask about, and offers one announce
// may carry (more than any client sends; only ws.max_offers are used).
inline constexpr std::size_t kMaxScrapeHashes = 100;
inline constexpr std::size_t kMaxOffers = 64;
// Nesting allowed in a message (an offer object sits at depth 3).
inline constexpr std::size_t kMaxDepth = 16;

enum class Action : std::uint8_t { announce, scrape };

// ----------------------------------------------------------------- ids

// Appends `id` as a JSON string literal (with its quotes).
void append_id(std::string& out, std::span<const std::uint8_t, 20> id);
// The 20 bytes a decoded JSON string stands for, if it is one.
std::optional<std::array<std::uint8_t, 20>> decode_id(std::string_view utf8);

// ------------------------------------------------------- client -> server

struct OfferIn {
  core::OfferId offer_id;
  std::string_view offer;  // the object's JSON text: in the message, or the parser's
};

struct AnnounceIn {
  core::InfoHash info_hash;
  core::PeerId peer_id;
  core::Event event = core::Event::none;
  bool seeder = false;          // left == 0 (absent or null: unknown, a leecher)
  std::vector<OfferIn> offers;  // absent or null: none
};

// An announce with `answer`: to be relayed to `to_peer_id`.
struct AnswerIn {
  core::InfoHash info_hash;
  core::PeerId peer_id;  // the answering peer
  core::PeerId to_peer_id;
  core::OfferId offer_id;
  std::string_view answer;  // the object's JSON text, as for OfferIn::offer
};

struct ScrapeIn {
  bool full = false;  // no info_hash, or null: every torrent
  std::vector<core::InfoHash> info_hashes;
};

enum class MessageKind : std::uint8_t { announce, answer, scrape };

// A parsed request. Reused: parse() clears it, and its document lives in
// the message's own arena until the next parse.
struct Request {
  MessageKind kind = MessageKind::announce;
  AnnounceIn announce;
  AnswerIn answer;
  ScrapeIn scrape;
};

enum class MessageError : std::uint8_t {
  not_json = 1,  // not JSON, or nested deeper than kMaxDepth
  not_object,    // the message is not a JSON object
  bad_action,    // action missing or not "announce" / "scrape"
  bad_info_hash,
  bad_peer_id,
  bad_event,
  bad_left,
  bad_offers,  // not an array of {offer: object, offer_id: id}
  too_many_offers,
  bad_answer,  // answer not an object, or without to_peer_id and offer_id
  answer_with_offers,
  too_many_info_hashes,
};

// A refused request: why, and the action and info hash when they were
// read, so the error reply can carry them (the JS client drops its socket
// on a reply without an action it knows, and ignores an announce error for
// another torrent).
struct Refusal {
  MessageError error = MessageError::not_json;
  std::optional<Action> action;
  std::optional<core::InfoHash> info_hash;
};

// The fixed text a client sees for each error ("failure reason").
std::string_view failure_text(MessageError e);

class RequestParser {
 public:
  RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses one message. On success `out` holds it (views into `text` or
  // into this parser, valid while both are and until the next parse).
  // The fast path first; what it does not decide, the general parser.
  core::Result<void, Refusal> parse(std::string_view text, Request& out);
  // The general parser alone: Boost.JSON's document, then the rules. The
  // one definition of what is accepted, which tests hold the fast path to.
  core::Result<void, Refusal> parse_general(std::string_view text, Request& out);

 private:
  // The offer or answer objects the general parser read, as JSON text.
  void keep_texts(Request& out);

  // Most messages fit: no allocation once warm.
  alignas(16) std::array<unsigned char, 16384> arena_{};
  boost::json::monotonic_resource resource_;
  boost::json::value doc_;
  std::vector<const boost::json::object*> objects_;  // offers (or the answer) in doc_
  std::string texts_;                                // their JSON text
};

// Client side: requests as the JS client writes them.
struct AnnounceOut {
  core::InfoHash info_hash;
  core::PeerId peer_id;
  core::Event event = core::Event::none;
  std::optional<std::uint64_t> left;  // written as null when absent
  std::uint32_t numwant = 0;
  // Each offer's id and JSON object text (written as is).
  std::span<const std::pair<core::OfferId, std::string_view>> offers;
};
void encode_announce_request(const AnnounceOut& a, std::string& out);
void encode_answer_request(const core::InfoHash& info_hash, const core::PeerId& peer_id,
                           const core::PeerId& to_peer_id, const core::OfferId& offer_id,
                           std::string_view answer_json, std::string& out);
// No hashes: a full scrape (no info_hash member).
void encode_scrape_request(std::span<const core::InfoHash> info_hashes, std::string& out);

// ------------------------------------------------------- server -> client

struct ScrapeFileOut {
  core::InfoHash info_hash;
  std::uint32_t complete = 0, incomplete = 0, downloaded = 0;
};

void encode_announce_reply(const core::InfoHash& info_hash, std::uint32_t interval,
                           std::uint32_t complete, std::uint32_t incomplete, std::string& out);
// An offer from `from` relayed to another peer; `offer` is a JSON object's
// text (OfferIn::offer), appended as it is.
void encode_offer(const core::InfoHash& info_hash, const core::PeerId& from,
                  const core::OfferId& offer_id, std::string_view offer, std::string& out);
void encode_answer(const core::InfoHash& info_hash, const core::PeerId& from,
                   const core::OfferId& offer_id, std::string_view answer, std::string& out);
void encode_scrape_reply(std::span<const ScrapeFileOut> files, std::string& out);
// `failure reason`, with the action and info hash when known.
void encode_error(std::optional<Action> action, const std::optional<core::InfoHash>& info_hash,
                  std::string_view reason, std::string& out);

// What the server sends, as a client reads it.
enum class ServerKind : std::uint8_t { announce_reply, offer, answer, scrape_reply, error };
struct ServerMessage {
  ServerKind kind = ServerKind::announce_reply;
  std::optional<Action> action;
  std::optional<core::InfoHash> info_hash;
  std::uint32_t interval = 0, complete = 0, incomplete = 0;  // announce reply
  core::PeerId peer_id;                                      // offer, answer: the sender
  core::OfferId offer_id;
  std::string sdp_json;              // offer, answer: the object as JSON text
  std::vector<ScrapeFileOut> files;  // scrape reply
  std::string failure;               // error
};
// nullopt if the text is not a message this protocol defines.
std::optional<ServerMessage> parse_server_message(std::string_view text);

}  // namespace cairn::codec::ws
