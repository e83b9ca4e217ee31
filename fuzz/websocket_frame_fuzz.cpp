// The WebSocket frame reader on any bytes, in both roles. Read whole or in
// two pieces split anywhere, the events are the same; no payload exceeds
// its limit; every text message is UTF-8.
#include <cstdint>
#include <string>
#include <vector>

#include "codec/utf8.hpp"
#include "codec/websocket_frame.hpp"

using namespace cairn::codec;
using namespace cairn::codec::ws;

namespace {

const FrameLimits kLimits{300, 500};

struct Seen {
  EventKind kind;
  std::string payload;
  CloseCode code;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> read(std::string_view wire, std::size_t split, Role role) {
  std::vector<Seen> seen;
  MessageState state;
  std::string kept;
  for (auto piece : {wire.substr(0, split), wire.substr(split)}) {
    std::string buffer = kept + std::string(piece);
    std::size_t pos = 0;
    for (;;) {
      Event e = next_event(buffer, pos, state, kLimits, role);
      if (e.kind == EventKind::need_more) break;
      if (e.kind == EventKind::message) {
        if (e.payload.size() > kLimits.max_message) __builtin_trap();
        if (e.opcode == Opcode::text && !valid_utf8(e.payload)) __builtin_trap();
      }
      if (pos > buffer.size()) __builtin_trap();
      seen.push_back({e.kind, std::string(e.payload), e.code});
      if (e.kind == EventKind::error) return seen;
    }
    kept = buffer.substr(pos);
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  for (Role role : {Role::server, Role::client}) {
    if (read(in, size, role) != read(in, split, role)) __builtin_trap();
  }
  return 0;
}
