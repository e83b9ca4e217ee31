#include "codec/punch.hpp"

#include <sodium.h>

#include <string_view>

#include "codec/byte_io.hpp"

namespace cairn::codec::punch {

using be::Reader;
using be::Writer;

namespace {

constexpr std::size_t kHeader = 16;  // connection id, action, transaction id
constexpr std::uint8_t kFlag = 1;    // the one flag bit each message has
constexpr std::string_view kBadRequest = "bad_request";
constexpr std::string_view kPeerMagic = "CRNP";
constexpr std::size_t kMac = 16;

std::uint32_t action_of(std::span<const std::uint8_t> packet) {
  return be::load32(packet.data() + 8);
}

void write_header(Writer& w, const Header& h, Action a) {
  w.u64(h.connection_id);
  w.u32(static_cast<std::uint32_t>(a));
  w.u32(h.transaction_id);
}

void write_answer_header(Writer& w, std::uint32_t action, std::uint32_t txid) {
  w.u32(action);
  w.u32(txid);
}

void write_id(Writer& w, const core::RecordId& id) {
  w.u8(id.size);
  w.bytes(id.view());
}

core::RecordId read_id(Reader& in) {
  auto id = core::RecordId::from_bytes(in.bytes(in.u8()));
  if (!id) in.fail();
  return id.value_or(core::RecordId{});
}

// One flags byte whose only defined bit is bit 0.
bool read_flag(Reader& in) {
  auto flags = in.u8();
  if ((flags & ~kFlag) != 0) in.fail();
  return flags & kFlag;
}

void write_endpoint(Writer& w, const core::Endpoint& e) {
  w.u8(e.family() == core::Family::v4 ? 4 : 6);
  w.bytes(e.address.view());
  w.u16(e.port);
}

core::Endpoint read_endpoint(Reader& in) {
  auto family = in.u8();
  core::Endpoint e;
  if (family == 4) {
    e.address = core::Address::v4(in.fixed<4>());
  } else if (family == 6) {
    e.address = core::Address::v6(in.fixed<16>());
  } else {
    in.fail();
  }
  e.port = in.u16();
  return e;
}

Token read_token(Reader& in) {
  Token t{};
  auto b = in.fixed<16>();
  std::copy(b.begin(), b.end(), t.begin());
  return t;
}

Request read_request(Reader& in, std::uint32_t action, const Header& h) {
  switch (static_cast<Action>(action)) {
    case Action::session: {
      SessionRequest r{h, core::TopicId::from_bytes(in.fixed<20>()), {}, false};
      r.id = read_id(in);
      r.closing = read_flag(in);
      return r;
    }
    case Action::connect: {
      ConnectRequest r{h, core::TopicId::from_bytes(in.fixed<20>()), {}};
      r.id = read_id(in);
      return r;
    }
    case Action::ready: {
      ReadyRequest r{h, in.u64(), read_token(in), false};
      r.refuse = read_flag(in);
      return r;
    }
    case Action::relay:
    default: {
      RelayRequest r{h, in.u64(), read_token(in), in.rest()};
      if (r.payload.empty() || r.payload.size() > kMaxPayload) in.fail();
      in.bytes(r.payload.size());
      return r;
    }
  }
}

struct RequestWriter {
  Writer& w;
  void operator()(const SessionRequest& r) {
    write_header(w, r.header, Action::session);
    w.bytes(r.topic.bytes);
    write_id(w, r.id);
    w.u8(r.closing ? kFlag : 0);
  }
  void operator()(const ConnectRequest& r) {
    write_header(w, r.header, Action::connect);
    w.bytes(r.topic.bytes);
    write_id(w, r.id);
  }
  void operator()(const ReadyRequest& r) {
    write_header(w, r.header, Action::ready);
    w.u64(r.attempt);
    w.bytes(r.token);
    w.u8(r.refuse ? kFlag : 0);
  }
  void operator()(const RelayRequest& r) {
    if (r.payload.empty() || r.payload.size() > kMaxPayload) return w.fail();
    write_header(w, r.header, Action::relay);
    w.u64(r.attempt);
    w.bytes(r.token);
    w.bytes(r.payload);
  }
};

struct AnswerWriter {
  Writer& w;
  void operator()(const SessionAnswer& a) {
    write_answer_header(w, static_cast<std::uint32_t>(Action::session), a.transaction_id);
    w.u16(a.keepalive);
    w.u16(a.session_ttl);
    w.u8(a.relay ? kFlag : 0);
    write_endpoint(w, a.observed);
  }
  void operator()(const Offer& a) {
    write_answer_header(w, static_cast<std::uint32_t>(Action::connect), a.transaction_id);
    w.u64(a.attempt);
    w.u8(static_cast<std::uint8_t>(a.role));
    w.u8(a.relay ? kFlag : 0);
    w.u16(a.expires_in);
    w.bytes(a.token);
    w.bytes(a.topic.bytes);
    write_endpoint(w, a.peer);
    write_id(w, a.peer_id);
  }
  void operator()(const Sync& a) {
    write_answer_header(w, static_cast<std::uint32_t>(Action::ready), a.transaction_id);
    w.u64(a.attempt);
    w.u16(a.delay_ms);
    w.u16(a.rtt_ms);
  }
  void operator()(const Relayed& a) {
    if (a.payload.empty() || a.payload.size() > kMaxPayload) return w.fail();
    write_answer_header(w, static_cast<std::uint32_t>(Action::relay), 0);
    w.u64(a.attempt);
    w.bytes(a.payload);
  }
  void operator()(const udp::ErrorResponse& a) {
    write_answer_header(w, static_cast<std::uint32_t>(udp::Action::error), a.transaction_id);
    w.text(a.message);
  }
};

Answer read_offer(Reader& in, std::uint32_t txid) {
  Offer o;
  o.transaction_id = txid;
  o.attempt = in.u64();
  auto role = in.u8();
  if (role > 1) in.fail();
  o.role = static_cast<Role>(role);
  o.relay = read_flag(in);
  o.expires_in = in.u16();
  o.token = read_token(in);
  o.topic = core::TopicId::from_bytes(in.fixed<20>());
  o.peer = read_endpoint(in);
  o.peer_id = read_id(in);
  return o;
}

Answer read_answer(Reader& in, std::uint32_t action, std::uint32_t txid) {
  switch (static_cast<Action>(action)) {
    case Action::session: {
      SessionAnswer a{txid, in.u16(), in.u16(), {}, false};
      a.relay = read_flag(in);
      a.observed = read_endpoint(in);
      return a;
    }
    case Action::connect:
      return read_offer(in, txid);
    case Action::ready:
      return Sync{txid, in.u64(), in.u16(), in.u16()};
    case Action::relay:
    default: {
      Relayed r{in.u64(), in.rest()};
      if (r.payload.empty()) in.fail();
      return r;
    }
  }
}

void mac(std::span<const std::uint8_t> bytes, const PeerKey& key, std::uint8_t* out) {
  crypto_generichash(out, kMac, bytes.data(), bytes.size(), key.data(), key.size());
}

}  // namespace

bool is_punch(std::span<const std::uint8_t> packet) {
  if (packet.size() < 12) return false;
  auto action = action_of(packet);
  return action >= static_cast<std::uint32_t>(Action::session) &&
         action <= static_cast<std::uint32_t>(Action::relay);
}

core::Result<Request, udp::ParseError> parse_request(std::span<const std::uint8_t> packet) {
  if (packet.size() < kHeader || packet.size() > udp::kMaxPacket || !is_punch(packet))
    return udp::ParseError{false, 0, kBadRequest};
  Reader in(packet);
  Header h;
  h.connection_id = in.u64();
  auto action = in.u32();
  h.transaction_id = in.u32();
  Request r = read_request(in, action, h);
  // Bytes after the last field are refused too: one spelling per request.
  if (!in.done()) return udp::ParseError{true, h.transaction_id, kBadRequest};
  return r;
}

std::size_t encode_request(const Request& r, std::span<std::uint8_t> out) {
  Writer w(out);
  std::visit(RequestWriter{w}, r);
  return w.size();
}

std::size_t encode_answer(const Answer& a, std::span<std::uint8_t> out) {
  Writer w(out);
  std::visit(AnswerWriter{w}, a);
  return w.size();
}

std::size_t encode_relayed(const RelayRequest& from, std::span<std::uint8_t> out) {
  return encode_answer(Relayed{from.attempt, from.payload}, out);
}

// Bytes after the last field are ignored, as the other UDP answers' parsers
// do: a newer tracker may append some.
core::Result<Answer, udp::ResponseError> parse_answer(std::span<const std::uint8_t> packet) {
  Reader in(packet);
  auto action = in.u32();
  auto txid = in.u32();
  if (!in.ok()) return udp::ResponseError::truncated;
  if (action == static_cast<std::uint32_t>(udp::Action::error)) {
    auto rest = in.rest();
    return Answer{
        udp::ErrorResponse{txid, {reinterpret_cast<const char*>(rest.data()), rest.size()}}};
  }
  if (action < static_cast<std::uint32_t>(Action::session) ||
      action > static_cast<std::uint32_t>(Action::relay))
    return udp::ResponseError::unknown_action;
  Answer a = read_answer(in, action, txid);
  if (!in.ok()) return udp::ResponseError::truncated;
  return a;
}

PeerKey peer_key(const Token& token, std::span<const std::uint8_t> secret_key) {
  static constexpr std::string_view kLabel = "cairn punch v1";
  PeerKey key{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, token.data(), token.size(), key.size());
  crypto_generichash_update(&state, reinterpret_cast<const std::uint8_t*>(kLabel.data()),
                            kLabel.size());
  crypto_generichash_update(&state, secret_key.data(), secret_key.size());
  crypto_generichash_final(&state, key.data(), key.size());
  return key;
}

std::size_t encode_peer_message(const PeerMessage& m, const PeerKey& key,
                                std::span<std::uint8_t> out) {
  if (m.payload.size() > kMaxPayload || (m.type != PeerType::data && !m.payload.empty())) return 0;
  Writer w(out);
  w.text(kPeerMagic);
  w.u8(static_cast<std::uint8_t>(m.type));
  w.u8(static_cast<std::uint8_t>(m.sender));
  w.u64(m.attempt);
  w.u16(m.seq);
  w.bytes(m.payload);
  std::size_t n = w.size();
  if (n == 0 || out.size() - n < kMac) return 0;
  mac(out.first(n), key, out.data() + n);
  return n + kMac;
}

std::optional<PeerMessage> parse_peer_message(std::span<const std::uint8_t> packet,
                                              const PeerKey& key) {
  if (packet.size() < kPeerOverhead || packet.size() > kPeerOverhead + kMaxPayload)
    return std::nullopt;
  auto body = packet.first(packet.size() - kMac);
  std::uint8_t expected[kMac];
  mac(body, key, expected);
  if (sodium_memcmp(expected, packet.data() + body.size(), kMac) != 0) return std::nullopt;
  Reader in(body);
  if (in.text(4) != kPeerMagic) return std::nullopt;
  PeerMessage m;
  auto type = in.u8();
  auto sender = in.u8();
  if (type < 1 || type > 3 || sender > 1) return std::nullopt;
  m.type = static_cast<PeerType>(type);
  m.sender = static_cast<Role>(sender);
  m.attempt = in.u64();
  m.seq = in.u16();
  m.payload = in.rest();
  if (m.type != PeerType::data && !m.payload.empty()) return std::nullopt;
  return m;
}

}  // namespace cairn::codec::punch
