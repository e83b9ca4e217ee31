#include "codec/websocket_frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec/utf8.hpp"

namespace cairn::codec::ws {
namespace {

HttpRequest parse(std::string_view text) {
  static std::string keep;
  keep = text;
  auto p = parse_http_request(keep);
  EXPECT_EQ(p.status, HttpParseStatus::complete) << text;
  return p.request;
}

constexpr std::string_view kHandshake =
    "GET /announce HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

// One event as the test sees it: kind, opcode, payload, code.
struct Seen {
  EventKind kind;
  Opcode opcode;
  std::string payload;
  CloseCode code;
  friend bool operator==(const Seen&, const Seen&) = default;
};

// Reads `wire` as a connection would: `chunk` bytes per read, keeping what
// was not consumed, until the bytes run out or an error.
std::vector<Seen> read_all(std::string_view wire, std::size_t chunk, Role role,
                           FrameLimits limits = {}) {
  std::vector<Seen> seen;
  MessageState state;
  std::string kept;
  for (std::size_t at = 0; at < wire.size(); at += chunk) {
    std::string buffer = kept + std::string(wire.substr(at, chunk));
    std::size_t pos = 0;
    for (;;) {
      Event e = next_event(buffer, pos, state, limits, role);
      if (e.kind == EventKind::need_more) break;
      seen.push_back({e.kind, e.opcode, std::string(e.payload), e.code});
      if (e.kind == EventKind::error) return seen;
    }
    kept = buffer.substr(pos);
  }
  return seen;
}

Seen message(std::string payload, Opcode op = Opcode::text) {
  return {EventKind::message, op, std::move(payload), CloseCode::none};
}
Seen failure(CloseCode code) { return {EventKind::error, Opcode::text, "", code}; }

std::string masked(Opcode op, std::string_view payload, bool fin = true) {
  std::string out;
  write_masked_frame(out, op, payload, 0x37fa213d, fin);
  return out;
}

TEST(Handshake, AcceptKeyIsTheRfcExample) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, AcceptsTheRfcRequestAndAnswers101) {
  auto r = parse(kHandshake);
  EXPECT_TRUE(wants_upgrade(r));
  auto accept = check_upgrade(r);
  ASSERT_TRUE(accept.has_value());
  std::string out;
  write_upgrade_response(out, *accept);
  EXPECT_EQ(out,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST(Handshake, PlainRequestsDoNotAskForIt) {
  EXPECT_FALSE(wants_upgrade(parse("GET /announce HTTP/1.1\r\nHost: t\r\n\r\n")));
}

TEST(Handshake, RefusesEachBrokenPart) {
  auto refusal = [](std::string text) {
    auto r = check_upgrade(parse(text));
    return r.has_value() ? UpgradeError{} : r.error();
  };
  std::string good(kHandshake);
  auto with = [&](std::string_view from, std::string_view to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_EQ(refusal(with("GET", "POST")), UpgradeError::not_get);
  EXPECT_EQ(refusal(with("HTTP/1.1", "HTTP/1.0")), UpgradeError::not_http11);
  EXPECT_EQ(refusal(with("Upgrade: websocket", "Upgrade: h2c")), UpgradeError::bad_upgrade);
  EXPECT_EQ(refusal(with("keep-alive, Upgrade", "keep-alive")), UpgradeError::bad_upgrade);
  EXPECT_EQ(refusal(with("Version: 13", "Version: 8")), UpgradeError::bad_version);
  EXPECT_EQ(refusal(with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ==")), UpgradeError::bad_key);
  EXPECT_EQ(refusal(with("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZ!=")),
            UpgradeError::bad_key);
  // Header names and the Upgrade token are case-insensitive.
  EXPECT_TRUE(check_upgrade(parse(with("Upgrade: websocket", "upgrade: WebSocket"))).has_value());
}

TEST(Handshake, RefusalsSayWhatWasExpected) {
  std::string out;
  write_upgrade_refusal(out, UpgradeError::bad_version);
  EXPECT_EQ(out.find("HTTP/1.1 426 Upgrade Required\r\n"), 0u);
  EXPECT_NE(out.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  out.clear();
  write_upgrade_refusal(out, UpgradeError::bad_key);
  EXPECT_NE(out.find("400 Bad Request"), std::string::npos);
  EXPECT_NE(out.find("16 bytes in base64"), std::string::npos);
}

TEST(Frames, RfcExamples) {
  // RFC 6455 5.7: unmasked "Hello" (a client reads it), masked (a server does).
  EXPECT_EQ(read_all("\x81\x05Hello", 64, Role::client), std::vector<Seen>{message("Hello")});
  EXPECT_EQ(read_all("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 64, Role::server),
            std::vector<Seen>{message("Hello")});
  EXPECT_EQ(read_all("\x01\x03Hel\x80\x02lo", 64, Role::client),
            std::vector<Seen>{message("Hello")});
  EXPECT_EQ(read_all("\x89\x05Hello", 64, Role::client),
            (std::vector<Seen>{{EventKind::ping, Opcode::ping, "Hello", CloseCode::none}}));
}

TEST(Frames, MaskedFramesTheClientWritesAreTheRfcBytes) {
  EXPECT_EQ(masked(Opcode::text, "Hello"), "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
}

TEST(Frames, EveryLengthEncodingRoundTrips) {
  FrameLimits limits{1 << 20, 1 << 20};
  for (std::size_t size : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 100000u}) {
    std::string payload(size, 'x');
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
    EXPECT_EQ(read_all(masked(Opcode::binary, payload), 1 << 21, Role::server, limits),
              std::vector<Seen>{message(payload, Opcode::binary)})
        << size;
    std::string plain;
    write_frame(plain, Opcode::text, payload);
    EXPECT_EQ(plain.size(), frame_header_size(size) + size);
    EXPECT_EQ(read_all(plain, 1 << 21, Role::client, limits), std::vector<Seen>{message(payload)})
        << size;
  }
}

// Unmasking goes eight bytes at a time: every length and every tail must
// still be the RFC's rule, byte i XOR mask[i % 4].
TEST(Frames, MaskingIsTheRfcRuleAtEveryLength) {
  const std::uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  for (std::size_t size = 0; size <= 40; ++size) {
    std::string payload(size, '\0');
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>(i * 37 + 11);
    std::string wire = masked(Opcode::binary, payload);
    std::string_view body = std::string_view(wire).substr(wire.size() - size);
    for (std::size_t i = 0; i < size; ++i)
      ASSERT_EQ(static_cast<std::uint8_t>(body[i]),
                static_cast<std::uint8_t>(static_cast<std::uint8_t>(payload[i]) ^ mask[i % 4]))
          << "size " << size << ", byte " << i;
    EXPECT_EQ(read_all(wire, 64, Role::server), std::vector<Seen>{message(payload, Opcode::binary)})
        << size;
  }
}

// A stream of frames: a fragmented message with a ping in the middle, a
// pong, a whole message and a close, read at every chunk size from one byte
// up, gives the same events.
TEST(Frames, SameEventsAtEveryFragmentSize) {
  std::string wire = masked(Opcode::text, "frag", false) + masked(Opcode::ping, "p") +
                     masked(Opcode::continuation, "ment", false) +
                     masked(Opcode::continuation, "ed") + masked(Opcode::pong, "") +
                     masked(Opcode::binary, std::string(300, 'b')) +
                     masked(Opcode::close, std::string("\x03\xe8", 2) + "bye");
  const std::vector<Seen> expected{
      {EventKind::ping, Opcode::ping, "p", CloseCode::none},
      message("fragmented"),
      {EventKind::pong, Opcode::pong, "", CloseCode::none},
      message(std::string(300, 'b'), Opcode::binary),
      {EventKind::close, Opcode::close, std::string("\x03\xe8", 2) + "bye", CloseCode::normal},
  };
  for (std::size_t chunk = 1; chunk <= wire.size(); ++chunk)
    EXPECT_EQ(read_all(wire, chunk, Role::server), expected) << "chunk " << chunk;
}

TEST(Frames, RefusesWhatBreaksTheProtocol) {
  const auto error_of = [](std::string wire, Role role = Role::server) {
    auto seen = read_all(wire, wire.size(), role);
    return seen.empty() ? Seen{} : seen.back();
  };
  const Seen protocol = failure(CloseCode::protocol_error);
  EXPECT_EQ(error_of("\x81\x05Hello"), protocol);                          // unmasked, to a server
  EXPECT_EQ(error_of(masked(Opcode::text, "x"), Role::client), protocol);  // masked, to a client
  std::string rsv = masked(Opcode::text, "x");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);  // RSV1: permessage-deflate was never agreed
  EXPECT_EQ(error_of(rsv), protocol);
  std::string op3 = masked(Opcode::text, "x");
  op3[0] = static_cast<char>(0x83);
  EXPECT_EQ(error_of(op3), protocol);
  EXPECT_EQ(error_of(masked(Opcode::ping, std::string(126, 'p'))), protocol);
  EXPECT_EQ(error_of(masked(Opcode::ping, "p", false)), protocol);   // fragmented control
  EXPECT_EQ(error_of(masked(Opcode::continuation, "x")), protocol);  // nothing to continue
  EXPECT_EQ(error_of(masked(Opcode::text, "a", false) + masked(Opcode::text, "b")), protocol);
  // 5 bytes in the 16-bit form; a 64-bit length with its top bit set.
  EXPECT_EQ(error_of(std::string("\x81\xfe\x00\x05\0\0\0\0hello", 13)), protocol);
  EXPECT_EQ(error_of(std::string("\x81\xff\x80\0\0\0\0\0\0\x01\0\0\0\0", 14)), protocol);
}

TEST(Frames, LimitsAreCheckedFromTheHeaderAlone) {
  FrameLimits limits{100, 150};
  // A 1 GiB frame is refused before any of its payload arrives.
  EXPECT_EQ(
      read_all(std::string("\x82\xff\0\0\0\0\x40\0\0\0\0\0\0\0", 14), 64, Role::server, limits),
      std::vector<Seen>{failure(CloseCode::too_big)});
  EXPECT_EQ(read_all(masked(Opcode::text, std::string(101, 'x')), 1024, Role::server, limits),
            std::vector<Seen>{failure(CloseCode::too_big)});
  std::string two = masked(Opcode::text, std::string(100, 'x'), false) +
                    masked(Opcode::continuation, std::string(51, 'x'));
  EXPECT_EQ(read_all(two, 1024, Role::server, limits),
            std::vector<Seen>{failure(CloseCode::too_big)});
  std::string fits = masked(Opcode::text, std::string(100, 'x'), false) +
                     masked(Opcode::continuation, std::string(50, 'x'));
  EXPECT_EQ(read_all(fits, 1024, Role::server, limits),
            std::vector<Seen>{message(std::string(150, 'x'))});
}

TEST(Frames, TextMustBeUtf8) {
  EXPECT_EQ(read_all(masked(Opcode::text, "\xc3\x28"), 64, Role::server),
            std::vector<Seen>{failure(CloseCode::invalid_payload)});
  // Binary messages are bytes.
  EXPECT_EQ(read_all(masked(Opcode::binary, "\xc3\x28"), 64, Role::server),
            std::vector<Seen>{message("\xc3\x28", Opcode::binary)});
  // A code point split across fragments is fine once whole.
  EXPECT_EQ(read_all(masked(Opcode::text, "\xc3", false) + masked(Opcode::continuation, "\xa9"), 64,
                     Role::server),
            std::vector<Seen>{message("\xc3\xa9")});
}

TEST(Frames, CloseFramesAreChecked) {
  const auto first = [](std::string payload) {
    return read_all(masked(Opcode::close, payload), 256, Role::server).at(0);
  };
  EXPECT_EQ(first("").code, CloseCode::none);
  EXPECT_EQ(first("").kind, EventKind::close);
  EXPECT_EQ(first("\x03\xe8").code, CloseCode::normal);
  EXPECT_EQ(first("\x0f\xa0").kind, EventKind::close);  // 4000: an application's own code
  EXPECT_EQ(first("\x03"), failure(CloseCode::protocol_error));
  EXPECT_EQ(first("\x03\xed"), failure(CloseCode::protocol_error));  // 1005 is never sent
  EXPECT_EQ(first("\x03\xe7"), failure(CloseCode::protocol_error));  // 999
  EXPECT_EQ(first("\x03\xe8\xff"), failure(CloseCode::invalid_payload));
}

TEST(Frames, WritesCloseWithItsCode) {
  std::string out;
  write_close(out, CloseCode::too_big);
  EXPECT_EQ(out, std::string("\x88\x02\x03\xf1", 4));
}

TEST(Utf8, ValidAndInvalid) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii, longer than eight bytes"));
  EXPECT_TRUE(valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
  EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));                      // U+10FFFF
  EXPECT_FALSE(valid_utf8("\x80"));                                 // lone continuation
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));                             // overlong '/'
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));                         // overlong
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));                         // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));                     // past U+10FFFF
  EXPECT_FALSE(valid_utf8("abcdefgh\xc3"));                         // cut short
}

// ASCII is skipped a word at a time: a sequence at any offset from a word
// boundary is still read, and a broken one still found.
TEST(Utf8, SequencesAtEveryOffset) {
  for (std::size_t at = 0; at <= 16; ++at) {
    const std::string before(at, 'a'), after(9, 'b');
    EXPECT_TRUE(valid_utf8(before + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" + after)) << at;
    EXPECT_FALSE(valid_utf8(before + "\xc3" + after)) << at;
    EXPECT_FALSE(valid_utf8(before + "\xed\xa0\x80" + after)) << at;
  }
}

}  // namespace
}  // namespace cairn::codec::ws
