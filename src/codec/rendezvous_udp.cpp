#include "codec/rendezvous_udp.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "codec/big_endian.hpp"
#include "codec/byte_io.hpp"

namespace cairn::codec::rvudp {

using be::Reader;
using be::Writer;

namespace {

constexpr std::size_t kHeader = 16;         // connection id, action, transaction id
constexpr std::size_t kResponseHeader = 8;  // action, transaction id
constexpr std::size_t kLookupHeader = kResponseHeader + rv::Cursor::size + 2;  // + flags, count
constexpr std::size_t kSignedBytes = 8 + sizeof(core::Signature);              // seq, signature
constexpr std::uint8_t kSigned = 1;     // request and record flags, bit 0
constexpr std::uint8_t kSourceV6 = 2;   // record flags, bit 1
constexpr std::uint8_t kMore = 1;       // look-up answer flags, bit 0
constexpr std::size_t kMaxCount = 255;  // records in one answer: a one-byte count

// Every malformed request gets the same code: the packet, not a field of
// the record, is wrong (the record body is the tracker's to judge).
constexpr std::string_view kBadRequest = "bad_request";

std::uint32_t action_of(std::span<const std::uint8_t> packet) {
  return be::load32(packet.data() + 8);
}

// --- the record's owner: id length, id, flags, and if signed seq and signature ---

rv::SignedBy read_signed(Reader& in) {
  rv::SignedBy s;
  s.seq = in.u64();
  auto sig = in.fixed<sizeof(core::Signature)>();
  std::copy(sig.begin(), sig.end(), s.signature.begin());
  return s;
}

// Unsigned records are named by 16 random bytes, signed ones by their key.
void read_owner(Reader& in, core::RecordId& id, std::optional<rv::SignedBy>& signed_by) {
  auto size = in.u8();
  auto parsed = core::RecordId::from_bytes(in.bytes(size));
  auto flags = in.u8();
  if (!parsed || (flags & ~kSigned) != 0 || parsed->is_public_key() != ((flags & kSigned) != 0))
    return in.fail();
  id = *parsed;
  if (flags & kSigned) signed_by = read_signed(in);
}

void write_signed(Writer& out, const rv::SignedBy& s) {
  out.u64(s.seq);
  out.bytes(s.signature);
}

void write_owner(Writer& out, const core::RecordId& id,
                 const std::optional<rv::SignedBy>& signed_by) {
  out.u8(id.size);
  out.bytes(id.view());
  out.u8(signed_by ? kSigned : 0);
  if (signed_by) write_signed(out, *signed_by);
}

void write_header(Writer& out, const Header& h, Action action) {
  out.u64(h.connection_id);
  out.u32(static_cast<std::uint32_t>(action));
  out.u32(h.transaction_id);
}

void write_response_header(Writer& out, Action action, std::uint32_t transaction_id) {
  out.u32(static_cast<std::uint32_t>(action));
  out.u32(transaction_id);
}

// --- requests ---

Request read_register(Reader& in, const Header& h) {
  RegisterRequest r{h, core::TopicId::from_bytes(in.fixed<20>()), in.u32(), {}, {}, {}};
  read_owner(in, r.id, r.signed_by);
  r.body = in.text(in.u16());
  return r;
}

// All zeros on the wire means no cursor.
std::optional<rv::Cursor> read_cursor(Reader& in) {
  auto b = in.fixed<rv::Cursor::size>();
  if (std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c == 0; })) return std::nullopt;
  return rv::Cursor::from_bytes(b);
}

Request read_lookup(Reader& in, const Header& h) {
  LookupRequest r{h, core::TopicId::from_bytes(in.fixed<20>()), in.u8(), read_cursor(in), {}};
  r.capability = in.text(in.u8());
  if (!r.capability.empty() && !rv::valid_name(r.capability)) in.fail();
  return r;
}

Request read_unregister(Reader& in, const Header& h) {
  UnregisterRequest r{h, core::TopicId::from_bytes(in.fixed<20>()), {}, {}};
  read_owner(in, r.id, r.signed_by);
  return r;
}

// --- look-up answers ---

std::size_t record_size(const rv::FoundRecord& r) {
  return 1 + r.id.size + 1 + r.source.size() + 4 + 4 + (r.signed_by ? kSignedBytes : 0) + 2 +
         r.body.size();
}

void write_record(Writer& out, const rv::FoundRecord& r) {
  out.u8(r.id.size);
  out.bytes(r.id.view());
  out.u8(static_cast<std::uint8_t>((r.signed_by ? kSigned : 0) |
                                   (r.source.family == core::Family::v6 ? kSourceV6 : 0)));
  out.bytes(r.source.view());
  out.u32(r.last_seen);
  out.u32(r.expires_in);
  if (r.signed_by) write_signed(out, *r.signed_by);
  out.prefixed<std::uint16_t>(r.body);
}

core::Address read_address(Reader& in, bool v6) {
  if (v6) return core::Address::v6(in.fixed<16>());
  return core::Address::v4(in.fixed<4>());
}

rv::FoundRecord read_record(Reader& in) {
  rv::FoundRecord r;
  auto id = core::RecordId::from_bytes(in.bytes(in.u8()));
  auto flags = in.u8();
  if (!id || (flags & ~(kSigned | kSourceV6)) != 0) in.fail();
  if (id) r.id = *id;
  r.source = read_address(in, flags & kSourceV6);
  r.last_seen = in.u32();
  r.expires_in = in.u32();
  if (flags & kSigned) r.signed_by = read_signed(in);
  r.body = in.text(in.u16());
  return r;
}

core::Result<Response, udp::ResponseError> read_lookup_response(Reader& in, std::uint32_t txid) {
  LookupResponse r{txid, rv::Cursor::from_bytes(in.fixed<rv::Cursor::size>()), false, {}};
  auto flags = in.u8();
  r.more = flags & kMore;
  std::size_t count = in.u8();
  if (!in.ok()) return udp::ResponseError::truncated;
  for (std::size_t i = 0; i < count && in.ok(); ++i) r.records.push_back(read_record(in));
  if (!in.ok()) return udp::ResponseError::bad_peer_list;
  return Response{std::move(r)};
}

core::Result<Response, udp::ResponseError> read_whoami_response(Reader& in, std::uint32_t txid) {
  auto family = in.u8();
  if (!in.ok()) return udp::ResponseError::truncated;
  if (family != 4 && family != 6) return udp::ResponseError::bad_peer_list;
  WhoamiResponse r{txid, {}};
  r.observed.address = read_address(in, family == 6);
  r.observed.port = in.u16();
  if (!in.ok()) return udp::ResponseError::truncated;
  return Response{r};
}

}  // namespace

bool is_rendezvous(std::span<const std::uint8_t> packet) {
  if (packet.size() < 12) return false;
  auto action = action_of(packet);
  return action >= static_cast<std::uint32_t>(Action::register_record) &&
         action <= static_cast<std::uint32_t>(Action::whoami);
}

core::Result<Request, udp::ParseError> parse_request(std::span<const std::uint8_t> packet) {
  if (packet.size() < kHeader || packet.size() > udp::kMaxPacket)
    return udp::ParseError{false, 0, kBadRequest};
  Reader in(packet);
  Header h;
  h.connection_id = in.u64();
  auto action = in.u32();
  h.transaction_id = in.u32();
  Request r;
  switch (action) {
    case static_cast<std::uint32_t>(Action::register_record):
      r = read_register(in, h);
      break;
    case static_cast<std::uint32_t>(Action::lookup):
      r = read_lookup(in, h);
      break;
    case static_cast<std::uint32_t>(Action::unregister):
      r = read_unregister(in, h);
      break;
    case static_cast<std::uint32_t>(Action::whoami):
      r = WhoamiRequest{h};
      break;
    default:
      return udp::ParseError{false, h.transaction_id, kBadRequest};  // not ours to answer
  }
  // Bytes after the last field are refused too: one spelling per request.
  if (!in.done()) return udp::ParseError{true, h.transaction_id, kBadRequest};
  return r;
}

std::size_t encode_register_response(std::uint32_t transaction_id, std::uint32_t ttl,
                                     std::uint32_t reannounce_after, std::span<std::uint8_t> out) {
  Writer w(out);
  write_response_header(w, Action::register_record, transaction_id);
  w.u32(ttl);
  w.u32(reannounce_after);
  return w.size();
}

std::size_t encode_unregister_response(std::uint32_t transaction_id, std::span<std::uint8_t> out) {
  Writer w(out);
  write_response_header(w, Action::unregister, transaction_id);
  return w.size();
}

std::size_t encode_whoami_response(std::uint32_t transaction_id, const core::Endpoint& observed,
                                   std::span<std::uint8_t> out) {
  Writer w(out);
  write_response_header(w, Action::whoami, transaction_id);
  w.u8(observed.family() == core::Family::v4 ? 4 : 6);
  w.bytes(observed.address.view());
  w.u16(observed.port);
  return w.size();
}

LookupResponseWriter::LookupResponseWriter(std::uint32_t transaction_id,
                                           std::span<std::uint8_t> out)
    : out_(out.first(std::min(out.size(), kMaxReply))), size_(kLookupHeader) {
  Writer w(out_);
  write_response_header(w, Action::lookup, transaction_id);
  if (out_.size() < kLookupHeader) size_ = 0;  // too small for any answer
}

bool LookupResponseWriter::add(const rv::FoundRecord& record) {
  if (size_ == 0 || count_ == kMaxCount || record.body.size() > 0xffff) return false;
  std::size_t need = record_size(record);
  if (need > out_.size() - size_) return false;
  Writer w(out_.subspan(size_, need));
  write_record(w, record);
  size_ += need;
  ++count_;
  return true;
}

std::size_t LookupResponseWriter::finish(const rv::Cursor& cursor, bool more) {
  if (size_ == 0) return 0;
  Writer w(out_.subspan(kResponseHeader, kLookupHeader - kResponseHeader));
  w.bytes(cursor.bytes());
  w.u8(more ? kMore : 0);
  w.u8(static_cast<std::uint8_t>(count_));
  return size_;
}

std::size_t encode_register_request(const RegisterRequest& r, std::span<std::uint8_t> out) {
  Writer w(out);
  write_header(w, r.header, Action::register_record);
  w.bytes(r.topic.bytes);
  w.u32(r.ttl);
  write_owner(w, r.id, r.signed_by);
  w.prefixed<std::uint16_t>(r.body);
  return w.size();
}

std::size_t encode_lookup_request(const LookupRequest& r, std::span<std::uint8_t> out) {
  Writer w(out);
  write_header(w, r.header, Action::lookup);
  w.bytes(r.topic.bytes);
  w.u8(r.limit);
  w.bytes(r.cursor ? r.cursor->bytes() : std::array<std::uint8_t, rv::Cursor::size>{});
  w.prefixed<std::uint8_t>(r.capability);
  return w.size();
}

std::size_t encode_unregister_request(const UnregisterRequest& r, std::span<std::uint8_t> out) {
  Writer w(out);
  write_header(w, r.header, Action::unregister);
  w.bytes(r.topic.bytes);
  write_owner(w, r.id, r.signed_by);
  return w.size();
}

std::size_t encode_whoami_request(const Header& h, std::span<std::uint8_t> out) {
  Writer w(out);
  write_header(w, h, Action::whoami);
  return w.size();
}

// Bytes after the last field are ignored, as udp::parse_response does: a
// newer tracker may append some.
core::Result<Response, udp::ResponseError> parse_response(std::span<const std::uint8_t> packet) {
  Reader in(packet);
  auto action = in.u32();
  auto txid = in.u32();
  if (!in.ok()) return udp::ResponseError::truncated;
  switch (action) {
    case static_cast<std::uint32_t>(Action::register_record): {
      RegisterResponse r{txid, in.u32(), in.u32()};
      if (!in.ok()) return udp::ResponseError::truncated;
      return Response{r};
    }
    case static_cast<std::uint32_t>(Action::lookup):
      return read_lookup_response(in, txid);
    case static_cast<std::uint32_t>(Action::unregister):
      return Response{UnregisterResponse{txid}};
    case static_cast<std::uint32_t>(Action::whoami):
      return read_whoami_response(in, txid);
    case static_cast<std::uint32_t>(udp::Action::error): {
      auto rest = in.rest();
      return Response{
          udp::ErrorResponse{txid, {reinterpret_cast<const char*>(rest.data()), rest.size()}}};
    }
    default:
      return udp::ResponseError::unknown_action;
  }
}

}  // namespace cairn::codec::rvudp
