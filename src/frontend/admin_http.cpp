#include "frontend/admin_http.hpp"

#include <charconv>
#include <optional>

#include "codec/http_response.hpp"

namespace cairn::frontend {

namespace {

constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kPrometheus = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kJson = "application/json";

void write(const codec::HttpRequest& request, int status, std::string_view content_type,
           std::string_view body, std::string& out) {
  auto response = codec::HttpResponse::to(request, status, content_type);
  response.body = body;
  codec::write_http_response(out, response);
}

// The `top` parameter of the query: the default without one, nullopt for
// a bad one. Only that parameter is read; others are ignored.
std::optional<std::size_t> top_of(std::string_view query) {
  std::size_t top = AdminStats::kDefaultTop;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (!pair.starts_with("top=")) continue;
    const std::string_view digits = pair.substr(4);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), top);
    if (ec != std::errc{} || end != digits.data() + digits.size() || top > AdminStats::kMaxTop)
      return std::nullopt;
  }
  return top;
}

}  // namespace

void AdminHttp::write_rate_limited(const codec::HttpRequest& request, std::uint32_t retry_after,
                                   tracker::WorkerState& /*state*/, std::string& out) const {
  auto response = codec::HttpResponse::to(request, 429, kText);
  response.body = "rate limit exceeded\n";
  response.retry_after = retry_after;
  codec::write_http_response(out, response);
}

void AdminMetrics::handle(const codec::HttpRequest& request, const core::Address& /*client*/,
                          const tracker::RequestContext& ctx, std::string& out) const {
  std::string& body = ctx.state.body;
  body.clear();
  metrics_.write_prometheus(body);
  write(request, 200, kPrometheus, body, out);
}

void AdminStats::handle(const codec::HttpRequest& request, const core::Address& /*client*/,
                        const tracker::RequestContext& ctx, std::string& out) const {
  const auto top = top_of(request.query);
  if (!top) {
    write(request, 400, kJson,
          "{\"error\":\"top must be a whole number from 0 to " + std::to_string(kMaxTop) + "\"}\n",
          out);
    return;
  }
  std::string& body = ctx.state.body;
  body.clear();
  body += "{\"metrics\":";
  metrics_.write_json(body);
  body += ",\"top\":[";
  bool first = true;
  for (const auto& [hash, counts] : top_(*top)) {
    body += first ? "" : ",";
    first = false;
    body += "{\"info_hash\":\"" + hash.hex() + "\",\"seeders\":" + std::to_string(counts.seeders) +
            ",\"leechers\":" + std::to_string(counts.leechers) +
            ",\"downloaded\":" + std::to_string(counts.downloaded) + "}";
  }
  body += "]}\n";
  write(request, 200, kJson, body, out);
}

void AdminFiles::handle(const codec::HttpRequest& request, const core::Address& /*client*/,
                        const tracker::RequestContext& /*ctx*/, std::string& out) const {
  const std::string_view path = request.path == "/" ? "/index.html" : request.path;
  for (const StaticFile& f : files_) {
    if (f.path == path) return write(request, 200, f.content_type, f.bytes, out);
  }
  write(request, 404, kText, "not found; the admin listener serves /, /metrics and /stats.json\n",
        out);
}

}  // namespace cairn::frontend
