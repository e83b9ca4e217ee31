#pragma once
// The WebSocket protocol (RFC 6455) below the messages: the opening
// handshake's accept key, frames (both roles: a server reads masked frames
// and writes plain ones, a client the other way round), fragmentation,
// control frames and the close handshake. No extensions: permessage-deflate
// is never negotiated, so a frame with an RSV bit set is a protocol error.
//
// Pure: the reader works in the caller's buffer (unmasking in place) and
// keeps between calls only the fragments of an unfinished message, so a
// connection that waits between messages holds no buffer.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "codec/http_request.hpp"
#include "core/result.hpp"

namespace cairn::codec::ws {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Status codes of a Close frame (RFC 6455 7.4.1).
enum class CloseCode : std::uint16_t {
  normal = 1000,
  going_away = 1001,  // the server is shutting down
  protocol_error = 1002,
  unsupported = 1003,      // a frame of a kind the endpoint does not take
  none = 1005,             // a close frame without a code (never sent)
  invalid_payload = 1007,  // a text message that is not UTF-8
  policy = 1008,           // e.g. a reader that fell behind
  too_big = 1009,          // a frame or message over the limits
  internal = 1011,
};

// ---------------------------------------------------------------- handshake

enum class UpgradeError : std::uint8_t {
  not_get = 1,  // 405: the handshake is a GET
  not_http11,   // 400
  bad_upgrade,  // 400: Upgrade is not "websocket", or Connection lacks "upgrade"
  bad_key,      // 400: Sec-WebSocket-Key is not 16 bytes in base64
  bad_version,  // 426 with "Sec-WebSocket-Version: 13"
};

// Whether a request asks to become a WebSocket at all ("Upgrade:
// websocket" present); only such requests are checked by check_upgrade.
bool wants_upgrade(const HttpRequest& request);

// Checks the handshake (RFC 6455 4.2.1) and returns the Sec-WebSocket-Accept
// value to answer with.
core::Result<std::string, UpgradeError> check_upgrade(const HttpRequest& request);

// base64(SHA-1(key + the RFC's GUID)): 28 characters.
std::string accept_key(std::string_view key);

// The server's 101 Switching Protocols answer.
void write_upgrade_response(std::string& out, std::string_view accept);
// The answer to a handshake check_upgrade refused (always closes).
void write_upgrade_refusal(std::string& out, UpgradeError e);

// ------------------------------------------------------------------ frames

enum class Role : std::uint8_t {
  server,  // reads masked frames (a client's), writes plain ones
  client,  // reads plain frames, writes masked ones
};

struct FrameLimits {
  std::size_t max_frame = 65536;    // payload of one frame
  std::size_t max_message = 65536;  // payload of a whole (fragmented) message
};

// What a connection keeps between reads: the fragments of a message that
// has begun but not ended.
struct MessageState {
  std::string fragments;
  Opcode opcode = Opcode::text;  // of the message being assembled
  bool assembling = false;
  bool deliver_fragments = false;  // `fragments` was last returned: clear it first
};

enum class EventKind : std::uint8_t {
  need_more,  // the next frame has not all arrived: read more, keep buffer[pos..]
  message,    // a whole text or binary message
  ping,
  pong,
  close,  // the peer's close frame: answer with one and close
  error,  // close the connection with `code`
};

struct Event {
  EventKind kind = EventKind::need_more;
  Opcode opcode = Opcode::text;  // of a message
  // A message's or control frame's payload (unmasked): a view into the
  // buffer or into MessageState::fragments, valid until the next call.
  std::string_view payload;
  // close: the peer's code (none without one); error: the code to close with.
  CloseCode code = CloseCode::none;
};

// Takes the next event from buffer[pos..] and moves pos past the frames it
// used. A data frame that does not end its message is absorbed into `state`
// and reading goes on, so every call returns a whole message, a control
// frame, need_more or an error. Unmasks in place.
Event next_event(std::span<char> buffer, std::size_t& pos, MessageState& state,
                 const FrameLimits& limits, Role role);

// Appends one whole (FIN) frame. A client's frames are masked with `mask`.
void write_frame(std::string& out, Opcode opcode, std::string_view payload);
void write_masked_frame(std::string& out, Opcode opcode, std::string_view payload,
                        std::uint32_t mask, bool fin = true);
// A close frame with a code and no reason (server side).
void write_close(std::string& out, CloseCode code);
// The size of a server frame's header for a payload of `size` bytes.
std::size_t frame_header_size(std::size_t size);

}  // namespace cairn::codec::ws
