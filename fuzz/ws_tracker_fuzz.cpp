// The WebTorrent tracker messages on any bytes, both sides. A request the
// server accepts, written again by the client encoder, parses to the same
// ids; a refusal has a fixed text and an error reply the client can read;
// an id decodes to 20 bytes that encode back to a string decoding the same.
// Where the fast path (ws_request_scan.hpp) decides, the general parser
// reads the same request (and offers and answers are the same JSON values).
#include <boost/json/parse.hpp>
#include <cstdint>
#include <string>

#include "codec/ws_request_scan.hpp"
#include "codec/ws_tracker.hpp"

using namespace cairn::codec::ws;
namespace json = boost::json;

namespace {

void check_announce(const AnnounceIn& a) {
  std::vector<std::string> texts;
  std::vector<std::pair<cairn::core::OfferId, std::string_view>> offers;
  for (const auto& o : a.offers) texts.push_back(std::string(o.offer));
  for (std::size_t i = 0; i < a.offers.size(); ++i)
    offers.emplace_back(a.offers[i].offer_id, texts[i]);
  AnnounceOut out{a.info_hash, a.peer_id, a.event, std::nullopt, 0, offers};
  if (a.seeder) out.left = 0;
  std::string text;
  encode_announce_request(out, text);
  RequestParser parser;
  Request again;
  if (!parser.parse(text, again).has_value() || again.kind != MessageKind::announce ||
      again.announce.info_hash != a.info_hash || again.announce.peer_id != a.peer_id ||
      again.announce.event != a.event || again.announce.seeder != a.seeder ||
      again.announce.offers.size() != a.offers.size())
    __builtin_trap();
  // What a receiver gets parses as an offer from this peer.
  for (const auto& o : a.offers) {
    std::string relayed;
    encode_offer(a.info_hash, a.peer_id, o.offer_id, o.offer, relayed);
    auto m = parse_server_message(relayed);
    if (!m || m->kind != ServerKind::offer || m->offer_id != o.offer_id) __builtin_trap();
  }
}

void check_refusal(const Refusal& r) {
  if (failure_text(r.error).empty()) __builtin_trap();
  std::string reply;
  encode_error(r.action, r.info_hash, failure_text(r.error), reply);
  auto m = parse_server_message(reply);
  if (!m || m->kind != ServerKind::error || m->info_hash != r.info_hash) __builtin_trap();
}

bool same_json(std::string_view a, std::string_view b) {
  return json::parse(json::string_view(a.data(), a.size())) ==
         json::parse(json::string_view(b.data(), b.size()));
}

bool same_request(const Request& fast, const Request& general) {
  if (fast.kind != general.kind) return false;
  if (fast.kind == MessageKind::scrape)
    return fast.scrape.full == general.scrape.full &&
           fast.scrape.info_hashes == general.scrape.info_hashes;
  if (fast.kind == MessageKind::answer) {
    const auto &f = fast.answer, &g = general.answer;
    return f.info_hash == g.info_hash && f.peer_id == g.peer_id && f.to_peer_id == g.to_peer_id &&
           f.offer_id == g.offer_id && same_json(f.answer, g.answer);
  }
  const auto &f = fast.announce, &g = general.announce;
  if (f.info_hash != g.info_hash || f.peer_id != g.peer_id || f.event != g.event ||
      f.seeder != g.seeder || f.offers.size() != g.offers.size())
    return false;
  for (std::size_t i = 0; i < f.offers.size(); ++i)
    if (f.offers[i].offer_id != g.offers[i].offer_id ||
        !same_json(f.offers[i].offer, g.offers[i].offer))
      return false;
  return true;
}

void check_fast_path(std::string_view in) {
  Request fast;
  if (!scan_request(in, fast)) return;
  static RequestParser general;
  Request slow;
  if (!general.parse_general(in, slow).has_value() || !same_request(fast, slow)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  static RequestParser parser;  // reused, as a worker reuses its own
  Request request;
  auto r = parser.parse(in, request);
  if (!r.has_value())
    check_refusal(r.error());
  else if (request.kind == MessageKind::announce)
    check_announce(request.announce);
  check_fast_path(in);
  (void)parse_server_message(in);
  if (auto id = decode_id(in)) {
    std::string literal;
    append_id(literal, *id);
    auto v = json::parse(literal);
    auto again = decode_id(std::string_view(v.get_string().data(), v.get_string().size()));
    if (!again || *again != *id) __builtin_trap();
  }
  return 0;
}
