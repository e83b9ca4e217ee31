#pragma once
// How log lines look on stderr: "text" (spdlog's default pattern) or
// "json", one object per line for log shippers:
//   {"time":"2026-12-07T01:02:03.456Z","level":"info","logger":"cairn","message":"..."}
// (RFC 3339 UTC time with milliseconds; the message JSON-escaped).
#include <optional>
#include <string>
#include <string_view>

namespace cairn::server {

enum class LogFormat { text, json };

std::optional<LogFormat> parse_log_format(std::string_view text);
std::string_view to_string(LogFormat f);

// Applies `format` to every sink of the default logger.
void use_log_format(LogFormat format);

// One log line in the json format (without its newline), for tests and the
// formatter.
std::string json_log_line(std::string_view time, std::string_view level, std::string_view logger,
                          std::string_view message);

}  // namespace cairn::server
