#include "codec/websocket_frame.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <cstring>

#include "codec/utf8.hpp"

namespace cairn::codec::ws {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr int kBase64 = sodium_base64_VARIANT_ORIGINAL;
constexpr std::size_t kMaxControl = 125;  // RFC 6455 5.5

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool key_is_16_bytes(std::string_view key) {
  if (key.size() != 24) return false;
  std::array<unsigned char, 18> bytes{};
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(bytes.data(), bytes.size(), key.data(), key.size(), nullptr, &len, &end,
                        kBase64) != 0)
    return false;
  return len == 16 && end == key.data() + key.size();
}

// ---------------------------------------------------------------- reading

struct Header {
  bool fin = false;
  std::uint8_t rsv = 0;
  std::uint8_t opcode = 0;
  bool masked = false;
  std::array<std::uint8_t, 4> mask{};
  std::uint64_t length = 0;
  std::size_t size = 0;  // of the header itself
};

// nullopt while the header has not all arrived.
std::optional<Header> parse_header(std::span<const char> in) {
  if (in.size() < 2) return std::nullopt;
  const auto b0 = static_cast<std::uint8_t>(in[0]);
  const auto b1 = static_cast<std::uint8_t>(in[1]);
  Header h;
  h.fin = (b0 & 0x80) != 0;
  h.rsv = static_cast<std::uint8_t>(b0 & 0x70);
  h.opcode = static_cast<std::uint8_t>(b0 & 0x0F);
  h.masked = (b1 & 0x80) != 0;
  h.length = b1 & 0x7F;
  std::size_t extra = h.length == 126 ? 2 : h.length == 127 ? 8 : 0;
  h.size = 2 + extra + (h.masked ? 4 : 0);
  if (in.size() < h.size) return std::nullopt;
  if (extra > 0) {
    h.length = 0;
    for (std::size_t i = 0; i < extra; ++i)
      h.length = (h.length << 8) | static_cast<std::uint8_t>(in[2 + i]);
  }
  if (h.masked) std::memcpy(h.mask.data(), in.data() + 2 + extra, 4);
  return h;
}

// RFC 6455 5.2: the minimal length encoding, and a 64-bit length's top bit
// clear.
bool minimal_length(const Header& h) {
  const std::size_t extra = h.size - 2 - (h.masked ? 4 : 0);
  if (extra == 2) return h.length >= 126;
  if (extra == 8) return h.length > 0xFFFF && h.length < (1ULL << 63);
  return true;
}

bool is_control(std::uint8_t opcode) { return opcode >= 0x8; }
bool known_opcode(std::uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

// Every byte of every client message passes here (a browser's announce with
// ten offers is kilobytes): eight bytes at a time, the mask repeated twice.
void unmask(std::span<char> payload, const std::array<std::uint8_t, 4>& mask) {
  std::array<std::uint8_t, 8> twice{};
  for (std::size_t k = 0; k < 8; ++k) twice[k] = mask[k & 3];
  std::uint64_t m = 0;
  std::memcpy(&m, twice.data(), 8);
  std::size_t i = 0;
  for (; i + 8 <= payload.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, payload.data() + i, 8);
    w ^= m;
    std::memcpy(payload.data() + i, &w, 8);
  }
  for (; i < payload.size(); ++i)
    payload[i] = static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ mask[i & 3]);
}

// A code a peer may send (RFC 6455 7.4): 1000-1003, 1007-1011, 3000-4999.
bool sendable_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

Event error(CloseCode code) { return {EventKind::error, Opcode::text, {}, code}; }

Event close_event(std::string_view payload) {
  if (payload.empty()) return {EventKind::close, Opcode::close, payload, CloseCode::none};
  if (payload.size() == 1) return error(CloseCode::protocol_error);
  const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                               static_cast<std::uint8_t>(payload[1]));
  if (!sendable_code(code)) return error(CloseCode::protocol_error);
  if (!valid_utf8(payload.substr(2))) return error(CloseCode::invalid_payload);
  return {EventKind::close, Opcode::close, payload, static_cast<CloseCode>(code)};
}

Event control_event(Opcode op, std::string_view payload) {
  if (op == Opcode::close) return close_event(payload);
  return {op == Opcode::ping ? EventKind::ping : EventKind::pong, op, payload, CloseCode::none};
}

Event message_event(Opcode op, std::string_view payload) {
  if (op == Opcode::text && !valid_utf8(payload)) return error(CloseCode::invalid_payload);
  return {EventKind::message, op, payload, CloseCode::none};
}

// A header that breaks a rule no matter what follows; nullopt if it is fine.
std::optional<CloseCode> check_header(const Header& h, const MessageState& state,
                                      const FrameLimits& limits, Role role) {
  if (h.rsv != 0 || !known_opcode(h.opcode) || !minimal_length(h)) return CloseCode::protocol_error;
  // RFC 6455 5.1: a server closes on an unmasked frame; a client on a masked one.
  if (h.masked != (role == Role::server)) return CloseCode::protocol_error;
  if (is_control(h.opcode)) {
    if (!h.fin || h.length > kMaxControl) return CloseCode::protocol_error;
    return std::nullopt;
  }
  const bool continuation = h.opcode == 0;
  if (continuation != state.assembling) return CloseCode::protocol_error;
  if (h.length > limits.max_frame) return CloseCode::too_big;
  const std::size_t before = state.assembling ? state.fragments.size() : 0;
  if (h.length > limits.max_message - std::min(before, limits.max_message))
    return CloseCode::too_big;
  return std::nullopt;
}

// ---------------------------------------------------------------- writing

void write_header(std::string& out, Opcode opcode, std::size_t size, bool fin,
                  const std::uint32_t* mask) {
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<std::uint8_t>(opcode)));
  const std::uint8_t mask_bit = mask ? 0x80 : 0;
  if (size < 126) {
    out.push_back(static_cast<char>(mask_bit | size));
  } else if (size <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xFF));
  }
  if (mask)
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((*mask >> shift) & 0xFF));
}

}  // namespace

bool wants_upgrade(const HttpRequest& request) { return !request.upgrade.empty(); }

core::Result<std::string, UpgradeError> check_upgrade(const HttpRequest& request) {
  if (request.method != HttpMethod::get) return UpgradeError::not_get;
  if (request.version_minor != 1) return UpgradeError::not_http11;
  if (!iequals(request.upgrade, "websocket") || !request.connection_upgrade)
    return UpgradeError::bad_upgrade;
  if (request.sec_websocket_version != "13") return UpgradeError::bad_version;
  if (!key_is_16_bytes(request.sec_websocket_key)) return UpgradeError::bad_key;
  return accept_key(request.sec_websocket_key);
}

std::string accept_key(std::string_view key) {
  std::string joined;
  joined.reserve(key.size() + kGuid.size());
  joined.append(key).append(kGuid);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(joined.data(), joined.size(), digest.data(), &size, EVP_sha1(), nullptr);
  std::string out(sodium_base64_ENCODED_LEN(size, kBase64), '\0');
  sodium_bin2base64(out.data(), out.size(), digest.data(), size, kBase64);
  out.resize(std::strlen(out.c_str()));
  return out;
}

void write_upgrade_response(std::string& out, std::string_view accept) {
  out.append(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ");
  out.append(accept);
  out.append("\r\n\r\n");
}

void write_upgrade_refusal(std::string& out, UpgradeError e) {
  std::string_view status = "400 Bad Request", body, extra;
  switch (e) {
    case UpgradeError::not_get:
      status = "405 Method Not Allowed";
      body = "a WebSocket handshake is a GET";
      extra = "Allow: GET\r\n";
      break;
    case UpgradeError::not_http11:
      body = "a WebSocket handshake needs HTTP/1.1";
      break;
    case UpgradeError::bad_upgrade:
      body = "a WebSocket handshake needs \"Upgrade: websocket\" and \"Connection: Upgrade\"";
      break;
    case UpgradeError::bad_key:
      body = "Sec-WebSocket-Key must be 16 bytes in base64";
      break;
    case UpgradeError::bad_version:
      status = "426 Upgrade Required";
      body = "this server speaks WebSocket version 13";
      extra = "Sec-WebSocket-Version: 13\r\n";
      break;
  }
  out.append("HTTP/1.1 ").append(status).append("\r\n");
  out.append(extra);
  out.append("Content-Type: text/plain\r\nConnection: close\r\nContent-Length: ");
  out.append(std::to_string(body.size())).append("\r\n\r\n").append(body);
}

Event next_event(std::span<char> buffer, std::size_t& pos, MessageState& state,
                 const FrameLimits& limits, Role role) {
  if (state.deliver_fragments) {
    state.fragments.clear();
    state.deliver_fragments = false;
  }
  for (;;) {
    auto rest = buffer.subspan(pos);
    auto h = parse_header(rest);
    if (!h) return {};
    if (auto code = check_header(*h, state, limits, role)) return error(*code);
    if (rest.size() - h->size < h->length) return {};
    auto payload = rest.subspan(h->size, static_cast<std::size_t>(h->length));
    if (h->masked) unmask(payload, h->mask);
    pos += h->size + payload.size();
    const std::string_view view(payload.data(), payload.size());
    const auto opcode = static_cast<Opcode>(h->opcode);
    if (is_control(h->opcode)) return control_event(opcode, view);
    if (!state.assembling && h->fin) return message_event(opcode, view);
    if (!state.assembling) {
      state.assembling = true;
      state.opcode = opcode;
    }
    state.fragments.append(view);
    if (!h->fin) continue;
    state.assembling = false;
    state.deliver_fragments = true;
    return message_event(state.opcode, state.fragments);
  }
}

void write_frame(std::string& out, Opcode opcode, std::string_view payload) {
  write_header(out, opcode, payload.size(), true, nullptr);
  out.append(payload);
}

void write_masked_frame(std::string& out, Opcode opcode, std::string_view payload,
                        std::uint32_t mask, bool fin) {
  write_header(out, opcode, payload.size(), fin, &mask);
  const std::array<std::uint8_t, 4> m{
      static_cast<std::uint8_t>(mask >> 24), static_cast<std::uint8_t>(mask >> 16),
      static_cast<std::uint8_t>(mask >> 8), static_cast<std::uint8_t>(mask)};
  const std::size_t start = out.size();
  out.append(payload);
  unmask(std::span(out).subspan(start), m);
}

void write_close(std::string& out, CloseCode code) {
  const auto c = static_cast<std::uint16_t>(code);
  const char payload[2] = {static_cast<char>(c >> 8), static_cast<char>(c & 0xFF)};
  write_frame(out, Opcode::close, std::string_view(payload, 2));
}

std::size_t frame_header_size(std::size_t size) { return size < 126 ? 2 : size <= 0xFFFF ? 4 : 10; }

}  // namespace cairn::codec::ws
