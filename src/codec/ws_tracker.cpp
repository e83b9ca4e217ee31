#include "codec/ws_tracker.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serializer.hpp>
#include <cstring>

#include "codec/ws_request_scan.hpp"

namespace cairn::codec::ws {

namespace json = boost::json;

namespace {

constexpr char kHex[] = "0123456789abcdef";

// ------------------------------------------------------------ reading

template <class Id>
std::optional<Id> id_of(const json::value* v) {
  if (!v || !v->is_string()) return std::nullopt;
  const auto& s = v->get_string();
  auto bytes = decode_id(std::string_view(s.data(), s.size()));
  if (!bytes) return std::nullopt;
  return Id::from_bytes(std::span<const std::uint8_t, 20>(*bytes));
}

bool absent(const json::value* v) { return !v || v->is_null(); }

std::optional<core::Event> event_of(const json::value* v) {
  if (absent(v)) return core::Event::none;
  if (!v->is_string()) return std::nullopt;
  const std::string_view e(v->get_string().data(), v->get_string().size());
  if (e == "started") return core::Event::started;
  if (e == "stopped") return core::Event::stopped;
  if (e == "completed") return core::Event::completed;
  // "update" is what the JS client sends between the others; "paused"
  // (BEP 21) and "" say nothing more.
  if (e == "update" || e == "paused" || e.empty()) return core::Event::none;
  return std::nullopt;
}

// left: a number, or null (the WebTorrent client's while it has no
// metadata). The peer seeds when it is 0.
std::optional<bool> seeder_of(const json::value* v) {
  if (absent(v)) return false;
  if (v->is_int64()) return v->get_int64() == 0;
  if (v->is_uint64()) return v->get_uint64() == 0;
  if (v->is_double()) return v->get_double() == 0.0;
  return std::nullopt;
}

// Objects (offers, an answer) are collected in `objects` and turned into
// text once the whole message is accepted (RequestParser::keep_texts).
using Objects = std::vector<const json::object*>;

core::Result<void, MessageError> read_offers(const json::value* v, std::vector<OfferIn>& out,
                                             Objects& objects) {
  if (absent(v)) return {};
  if (!v->is_array()) return MessageError::bad_offers;
  const auto& offers = v->get_array();
  if (offers.size() > kMaxOffers) return MessageError::too_many_offers;
  for (const auto& entry : offers) {
    const auto* o = entry.if_object();
    if (!o) return MessageError::bad_offers;
    const auto* offer = o->if_contains("offer");
    auto id = id_of<core::OfferId>(o->if_contains("offer_id"));
    if (!offer || !offer->is_object() || !id) return MessageError::bad_offers;
    out.push_back({*id, {}});
    objects.push_back(&offer->get_object());
  }
  return {};
}

core::Result<void, MessageError> read_answer(const json::object& m, AnswerIn& a, Objects& objects) {
  if (!absent(m.if_contains("offers"))) return MessageError::answer_with_offers;
  const auto* answer = m.if_contains("answer");
  auto to = id_of<core::PeerId>(m.if_contains("to_peer_id"));
  auto offer_id = id_of<core::OfferId>(m.if_contains("offer_id"));
  if (!answer->is_object() || !to || !offer_id) return MessageError::bad_answer;
  a.to_peer_id = *to;
  a.offer_id = *offer_id;
  objects.push_back(&answer->get_object());
  return {};
}

core::Result<void, Refusal> read_announce(const json::object& m, Request& out, Objects& objects) {
  Refusal refusal{MessageError::bad_info_hash, Action::announce, std::nullopt};
  const auto fail = [&](MessageError e) {
    refusal.error = e;
    return refusal;
  };
  auto info_hash = id_of<core::InfoHash>(m.if_contains("info_hash"));
  if (!info_hash) return refusal;
  refusal.info_hash = info_hash;
  auto peer_id = id_of<core::PeerId>(m.if_contains("peer_id"));
  if (!peer_id) return fail(MessageError::bad_peer_id);
  if (!absent(m.if_contains("answer"))) {
    out.kind = MessageKind::answer;
    out.answer.info_hash = *info_hash;
    out.answer.peer_id = *peer_id;
    if (auto r = read_answer(m, out.answer, objects); !r) return fail(r.error());
    return {};
  }
  auto& a = out.announce;
  out.kind = MessageKind::announce;
  a.info_hash = *info_hash;
  a.peer_id = *peer_id;
  auto event = event_of(m.if_contains("event"));
  if (!event) return fail(MessageError::bad_event);
  a.event = *event;
  auto seeder = seeder_of(m.if_contains("left"));
  if (!seeder) return fail(MessageError::bad_left);
  a.seeder = *seeder;
  if (auto r = read_offers(m.if_contains("offers"), a.offers, objects); !r) return fail(r.error());
  return {};
}

core::Result<void, Refusal> read_scrape(const json::object& m, ScrapeIn& s) {
  Refusal refusal{MessageError::bad_info_hash, Action::scrape, std::nullopt};
  const auto* v = m.if_contains("info_hash");
  if (absent(v)) {
    s.full = true;
    return {};
  }
  if (v->is_string()) {
    auto h = id_of<core::InfoHash>(v);
    if (!h) return refusal;
    s.info_hashes.push_back(*h);
    return {};
  }
  if (!v->is_array()) return refusal;
  if (v->get_array().size() > kMaxScrapeHashes) {
    refusal.error = MessageError::too_many_info_hashes;
    return refusal;
  }
  for (const auto& entry : v->get_array()) {
    auto h = id_of<core::InfoHash>(&entry);
    if (!h) return refusal;
    s.info_hashes.push_back(*h);
  }
  return {};
}

// ------------------------------------------------------------ writing

void append_key(std::string& out, std::string_view key) {
  out.push_back('"');
  out.append(key);
  out.append("\":");
}

void append_number(std::string& out, std::uint64_t n) {
  char digits[20];
  std::size_t i = sizeof digits;
  do {
    digits[--i] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.append(digits + i, sizeof digits - i);
}

template <class Id>
void append_id_member(std::string& out, std::string_view key, const Id& id) {
  append_key(out, key);
  append_id(out, id.bytes);
}

// A JSON string of text the caller knows needs no escapes but for '"', '\'
// and control characters (failure reasons are fixed texts).
void append_text(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out.push_back(c);
  }
  out.push_back('"');
}

void append_json(std::string& out, const json::object& o) {
  json::serializer sr;
  sr.reset(&o);
  while (!sr.done()) {
    const std::size_t at = out.size();
    const std::size_t room = 4096;
    out.resize(at + room);
    auto written = sr.read(out.data() + at, room);
    out.resize(at + written.size());
  }
}

void encode_relayed(const core::InfoHash& info_hash, const core::PeerId& from,
                    const core::OfferId& offer_id, std::string_view what, std::string_view sdp,
                    std::string& out) {
  out.append("{\"action\":\"announce\",");
  append_id_member(out, "info_hash", info_hash);
  out.push_back(',');
  append_id_member(out, "peer_id", from);
  out.push_back(',');
  append_key(out, what);
  out.append(sdp);
  out.push_back(',');
  append_id_member(out, "offer_id", offer_id);
  out.push_back('}');
}

std::string_view event_name(core::Event e) {
  switch (e) {
    case core::Event::started:
      return "started";
    case core::Event::stopped:
      return "stopped";
    case core::Event::completed:
      return "completed";
    case core::Event::none:
      break;
  }
  return "update";
}

// ------------------------------------------------ reading server messages

std::uint32_t count_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_uint64()) return static_cast<std::uint32_t>(v->get_uint64());
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint32_t>(v->get_int64());
  return 0;
}

std::optional<ServerMessage> read_scrape_reply(const json::object& m, ServerMessage& s) {
  const auto* files = m.if_contains("files");
  if (!files || !files->is_object()) return std::nullopt;
  s.kind = ServerKind::scrape_reply;
  for (const auto& [key, value] : files->get_object()) {
    auto bytes = decode_id(std::string_view(key.data(), key.size()));
    if (!bytes || !value.is_object()) return std::nullopt;
    const auto& f = value.get_object();
    s.files.push_back({core::InfoHash::from_bytes(std::span<const std::uint8_t, 20>(*bytes)),
                       count_of(f, "complete"), count_of(f, "incomplete"),
                       count_of(f, "downloaded")});
  }
  return s;
}

std::optional<ServerMessage> read_relayed(const json::object& m, ServerMessage& s,
                                          const json::value& sdp, ServerKind kind) {
  auto from = id_of<core::PeerId>(m.if_contains("peer_id"));
  auto offer_id = id_of<core::OfferId>(m.if_contains("offer_id"));
  if (!from || !offer_id || !sdp.is_object()) return std::nullopt;
  s.kind = kind;
  s.peer_id = *from;
  s.offer_id = *offer_id;
  append_json(s.sdp_json, sdp.get_object());
  return s;
}

}  // namespace

void append_id(std::string& out, std::span<const std::uint8_t, 20> id) {
  // Built on the stack and appended once: ids are in every message sent.
  std::array<char, 20 * 6 + 2> text;  // \u00XX at most, and the quotes
  std::size_t n = 0;
  text[n++] = '"';
  for (std::uint8_t b : id) {
    if (b < 0x20) {
      const char esc[6] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xF]};
      std::memcpy(text.data() + n, esc, sizeof esc);
      n += sizeof esc;
    } else if (b == '"' || b == '\\') {
      text[n++] = '\\';
      text[n++] = static_cast<char>(b);
    } else if (b < 0x80) {
      text[n++] = static_cast<char>(b);
    } else {  // U+0080..U+00FF in UTF-8
      text[n++] = static_cast<char>(0xC0 | (b >> 6));
      text[n++] = static_cast<char>(0x80 | (b & 0x3F));
    }
  }
  text[n++] = '"';
  out.append(text.data(), n);
}

std::optional<std::array<std::uint8_t, 20>> decode_id(std::string_view utf8) {
  std::array<std::uint8_t, 20> id{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    if (n == id.size()) return std::nullopt;
    const auto b = static_cast<std::uint8_t>(utf8[i]);
    if (b < 0x80) {
      id[n++] = b;
      continue;
    }
    // Only C2 and C3 lead to code points U+0080..U+00FF.
    if ((b != 0xC2 && b != 0xC3) || i + 1 == utf8.size()) return std::nullopt;
    const auto next = static_cast<std::uint8_t>(utf8[++i]);
    if ((next & 0xC0) != 0x80) return std::nullopt;
    id[n++] = static_cast<std::uint8_t>(((b & 0x03) << 6) | (next & 0x3F));
  }
  if (n != id.size()) return std::nullopt;
  return id;
}

std::string_view failure_text(MessageError e) {
  switch (e) {
    case MessageError::not_json:
      return "invalid message: expected one JSON object";
    case MessageError::not_object:
      return "invalid message: expected a JSON object";
    case MessageError::bad_action:
      return "invalid action: expected \"announce\" or \"scrape\"";
    case MessageError::bad_info_hash:
      return "invalid info_hash: expected 20 characters from U+0000 to U+00FF";
    case MessageError::bad_peer_id:
      return "invalid peer_id: expected 20 characters from U+0000 to U+00FF";
    case MessageError::bad_event:
      return "invalid event: expected started, stopped, completed or update";
    case MessageError::bad_left:
      return "invalid left: expected a number or null";
    case MessageError::bad_offers:
      return "invalid offers: expected an array of {offer: object, offer_id: 20 characters}";
    case MessageError::too_many_offers:
      return "too many offers: at most 64";
    case MessageError::bad_answer:
      return "invalid answer: expected an object, with to_peer_id and offer_id of 20 characters";
    case MessageError::answer_with_offers:
      return "invalid answer: an answer carries no offers";
    case MessageError::too_many_info_hashes:
      return "too many info hashes: at most 100 in one scrape";
  }
  return "invalid message";
}

RequestParser::RequestParser() : resource_(arena_.data(), arena_.size()), doc_(&resource_) {}

core::Result<void, Refusal> RequestParser::parse(std::string_view text, Request& out) {
  out.announce.offers.clear();
  out.scrape.info_hashes.clear();
  out.scrape.full = false;
  if (scan_request(text, out)) return {};
  return parse_general(text, out);
}

void RequestParser::keep_texts(Request& out) {
  texts_.clear();
  std::array<std::size_t, kMaxOffers + 1> ends{};
  for (std::size_t i = 0; i < objects_.size(); ++i) {
    append_json(texts_, *objects_[i]);
    ends[i + 1] = texts_.size();
  }
  // Views only now: texts_ may have moved while it grew.
  const auto text = [&](std::size_t i) {
    return std::string_view(texts_).substr(ends[i], ends[i + 1] - ends[i]);
  };
  if (out.kind == MessageKind::answer) out.answer.answer = text(0);
  if (out.kind == MessageKind::announce)
    for (std::size_t i = 0; i < out.announce.offers.size(); ++i)
      out.announce.offers[i].offer = text(i);
}

core::Result<void, Refusal> RequestParser::parse_general(std::string_view text, Request& out) {
  out.announce.offers.clear();
  out.scrape.info_hashes.clear();
  out.scrape.full = false;
  objects_.clear();
  // The document lives in the arena: emptied before the arena is reused,
  // and parsed into the same storage, so assigning it moves, not copies.
  doc_ = nullptr;
  resource_.release();
  json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::system::error_code ec;
  doc_ = json::parse(json::string_view(text.data(), text.size()), ec, &resource_, options);
  if (ec) return Refusal{MessageError::not_json, std::nullopt, std::nullopt};
  const auto* m = doc_.if_object();
  if (!m) return Refusal{MessageError::not_object, std::nullopt, std::nullopt};
  const auto* action = m->if_contains("action");
  const std::string_view name =
      action && action->is_string()
          ? std::string_view(action->get_string().data(), action->get_string().size())
          : std::string_view{};
  if (name == "announce") {
    auto r = read_announce(*m, out, objects_);
    if (r) keep_texts(out);
    return r;
  }
  if (name == "scrape") {
    out.kind = MessageKind::scrape;
    return read_scrape(*m, out.scrape);
  }
  return Refusal{MessageError::bad_action, std::nullopt, std::nullopt};
}

void encode_announce_request(const AnnounceOut& a, std::string& out) {
  out.append("{\"action\":\"announce\",");
  append_id_member(out, "info_hash", a.info_hash);
  out.push_back(',');
  append_id_member(out, "peer_id", a.peer_id);
  out.append(",\"event\":\"").append(event_name(a.event)).append("\",\"left\":");
  if (a.left)
    append_number(out, *a.left);
  else
    out.append("null");
  out.append(",\"numwant\":");
  append_number(out, a.numwant);
  if (!a.offers.empty()) {
    out.append(",\"offers\":[");
    for (std::size_t i = 0; i < a.offers.size(); ++i) {
      if (i) out.push_back(',');
      out.append("{\"offer\":").append(a.offers[i].second).push_back(',');
      append_id_member(out, "offer_id", a.offers[i].first);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.push_back('}');
}

void encode_answer_request(const core::InfoHash& info_hash, const core::PeerId& peer_id,
                           const core::PeerId& to_peer_id, const core::OfferId& offer_id,
                           std::string_view answer_json, std::string& out) {
  out.append("{\"action\":\"announce\",");
  append_id_member(out, "info_hash", info_hash);
  out.push_back(',');
  append_id_member(out, "peer_id", peer_id);
  out.push_back(',');
  append_id_member(out, "to_peer_id", to_peer_id);
  out.append(",\"answer\":").append(answer_json).push_back(',');
  append_id_member(out, "offer_id", offer_id);
  out.push_back('}');
}

void encode_scrape_request(std::span<const core::InfoHash> info_hashes, std::string& out) {
  out.append("{\"action\":\"scrape\"");
  if (!info_hashes.empty()) {
    out.append(",\"info_hash\":[");
    for (std::size_t i = 0; i < info_hashes.size(); ++i) {
      if (i) out.push_back(',');
      append_id(out, info_hashes[i].bytes);
    }
    out.push_back(']');
  }
  out.push_back('}');
}

void encode_announce_reply(const core::InfoHash& info_hash, std::uint32_t interval,
                           std::uint32_t complete, std::uint32_t incomplete, std::string& out) {
  out.append("{\"action\":\"announce\",\"interval\":");
  append_number(out, interval);
  out.push_back(',');
  append_id_member(out, "info_hash", info_hash);
  out.append(",\"complete\":");
  append_number(out, complete);
  out.append(",\"incomplete\":");
  append_number(out, incomplete);
  out.push_back('}');
}

void encode_offer(const core::InfoHash& info_hash, const core::PeerId& from,
                  const core::OfferId& offer_id, std::string_view offer, std::string& out) {
  encode_relayed(info_hash, from, offer_id, "offer", offer, out);
}

void encode_answer(const core::InfoHash& info_hash, const core::PeerId& from,
                   const core::OfferId& offer_id, std::string_view answer, std::string& out) {
  encode_relayed(info_hash, from, offer_id, "answer", answer, out);
}

void encode_scrape_reply(std::span<const ScrapeFileOut> files, std::string& out) {
  out.append("{\"action\":\"scrape\",\"files\":{");
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (i) out.push_back(',');
    append_id(out, files[i].info_hash.bytes);
    out.append(":{\"complete\":");
    append_number(out, files[i].complete);
    out.append(",\"incomplete\":");
    append_number(out, files[i].incomplete);
    out.append(",\"downloaded\":");
    append_number(out, files[i].downloaded);
    out.push_back('}');
  }
  out.append("}}");
}

void encode_error(std::optional<Action> action, const std::optional<core::InfoHash>& info_hash,
                  std::string_view reason, std::string& out) {
  out.push_back('{');
  if (action)
    out.append(*action == Action::announce ? "\"action\":\"announce\"," : "\"action\":\"scrape\",");
  if (info_hash) {
    append_id_member(out, "info_hash", *info_hash);
    out.push_back(',');
  }
  append_key(out, "failure reason");
  append_text(out, reason);
  out.push_back('}');
}

std::optional<ServerMessage> parse_server_message(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = kMaxDepth;
  auto doc = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
  if (ec || !doc.is_object()) return std::nullopt;
  const auto& m = doc.get_object();
  ServerMessage s;
  if (const auto* a = m.if_contains("action"); a && a->is_string()) {
    if (a->get_string() == "announce") s.action = Action::announce;
    if (a->get_string() == "scrape") s.action = Action::scrape;
  }
  if (m.contains("info_hash")) {
    s.info_hash = id_of<core::InfoHash>(m.if_contains("info_hash"));
    if (!s.info_hash) return std::nullopt;
  }
  if (const auto* f = m.if_contains("failure reason")) {
    if (!f->is_string()) return std::nullopt;
    s.kind = ServerKind::error;
    s.failure.assign(f->get_string().data(), f->get_string().size());
    return s;
  }
  if (s.action == Action::scrape) return read_scrape_reply(m, s);
  if (s.action != Action::announce || !s.info_hash) return std::nullopt;
  if (const auto* offer = m.if_contains("offer"))
    return read_relayed(m, s, *offer, ServerKind::offer);
  if (const auto* answer = m.if_contains("answer"))
    return read_relayed(m, s, *answer, ServerKind::answer);
  s.kind = ServerKind::announce_reply;
  s.interval = count_of(m, "interval");
  s.complete = count_of(m, "complete");
  s.incomplete = count_of(m, "incomplete");
  return s;
}

}  // namespace cairn::codec::ws
