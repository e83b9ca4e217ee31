#pragma once
// The fast path of RequestParser (ws_tracker.hpp): one pass over a request
// of the shapes real clients send, with no document built. It either reads
// the message exactly as the general parser (Boost.JSON's DOM, then the
// protocol's rules) would, or gives up and leaves it to that parser: on any
// JSON error, on every refusal, and on whatever is rare enough not to be
// worth the code (an escaped key, a member named twice, a deep nesting, a
// `left` that is a fraction or has an exponent, an escape outside the
// latin1 range in an id). So the general parser stays the one definition of
// what is accepted, and this one only has to agree with it where it answers
// (tests/unit/ws_request_scan_test.cpp and the ws_tracker fuzz target check
// both on the same input).
//
// Offers and answers come back as views of their JSON text in `text`,
// byte for byte as they arrived (valid JSON: the scan checked it).
#include <string_view>

#include "codec/ws_tracker.hpp"

namespace cairn::codec::ws {

// True: `out` holds the request. False: not decided here; `out` may hold
// part of one (the caller clears it).
bool scan_request(std::string_view text, Request& out);

}  // namespace cairn::codec::ws
