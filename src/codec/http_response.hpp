#pragma once
// HTTP/1.x response framing: status line, fixed headers, body.
#include <string>
#include <string_view>

namespace cairn::codec {

// Appends a complete response to `out`. `keep_alive` picks the Connection
// header. Reason phrases come from a fixed table (unknown codes: "Error").
void write_http_response(std::string& out, int status, std::string_view content_type,
                         std::string_view body, bool keep_alive);

// "OK", "Bad Request", ... for the statuses Cairn sends.
std::string_view http_reason(int status);

}  // namespace cairn::codec
