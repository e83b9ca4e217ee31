#include "server/log_format.hpp"

#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <memory>

namespace cairn::server {

namespace {

void append_json_text(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out.append("\\u00");
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xf]);
        } else {
          // Bytes from 0x80 on pass as they are: log text is UTF-8 (peer
          // addresses and config paths); a stray byte is the shipper's to
          // replace, as with the text format.
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

std::string rfc3339_utc(std::chrono::system_clock::time_point t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf, n) + fmt::format(".{:03}Z", ms % 1000);
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string line =
        json_log_line(rfc3339_utc(msg.time), std::string_view(level.data(), level.size()),
                      std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                      std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view text) {
  if (text == "text") return LogFormat::text;
  if (text == "json") return LogFormat::json;
  return std::nullopt;
}

std::string_view to_string(LogFormat f) { return f == LogFormat::json ? "json" : "text"; }

void use_log_format(LogFormat format) {
  if (format == LogFormat::json)
    spdlog::set_formatter(std::make_unique<JsonFormatter>());
  else
    spdlog::set_formatter(std::make_unique<spdlog::pattern_formatter>());
}

std::string json_log_line(std::string_view time, std::string_view level, std::string_view logger,
                          std::string_view message) {
  std::string out = "{\"time\":";
  append_json_text(out, time);
  out.append(",\"level\":");
  append_json_text(out, level);
  out.append(",\"logger\":");
  append_json_text(out, logger);
  out.append(",\"message\":");
  append_json_text(out, message);
  out.push_back('}');
  return out;
}

}  // namespace cairn::server
