#pragma once
// UTF-8 validation (RFC 3629): what a WebSocket text message and a close
// reason must be (RFC 6455 8.1). Overlong forms, surrogates (U+D800 to
// U+DFFF) and code points past U+10FFFF are invalid.
#include <string_view>

namespace cairn::codec {

bool valid_utf8(std::string_view text);

}  // namespace cairn::codec
