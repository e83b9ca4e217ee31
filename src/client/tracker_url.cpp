#include "client/tracker_url.hpp"

#include <charconv>

namespace cairn::client {

namespace {

Result<std::uint16_t> parse_port(std::string_view text, std::string_view url) {
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size() || port == 0 || port > 65535)
    return Error{std::string(url) + ": not a port: '" + std::string(text) + "'"};
  return static_cast<std::uint16_t>(port);
}

}  // namespace

Result<TrackerUrl> TrackerUrl::parse(std::string_view text) {
  TrackerUrl url;
  url.text = text;
  auto bad = [&](std::string_view why) {
    return Error{std::string(text) + ": " + std::string(why)};
  };
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return bad("not a URL (http://, https:// or udp://)");
  const auto scheme = text.substr(0, sep);
  if (scheme == "http")
    url.scheme = Scheme::http, url.port = 80;
  else if (scheme == "https")
    url.scheme = Scheme::https, url.port = 443;
  else if (scheme == "udp")
    url.scheme = Scheme::udp;
  else
    return bad("unknown scheme (http, https or udp)");
  auto rest = text.substr(sep + 3);
  const auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  url.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  std::string_view port_text;
  if (authority.starts_with('[')) {  // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed '[' in the host");
    url.host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad("junk after ']'");
    if (!after.empty()) port_text = after.substr(1);
  } else {
    const auto colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return bad("no host");
  if (!port_text.empty()) {
    auto port = parse_port(port_text, text);
    if (!port) return port.error();
    url.port = *port;
  }
  if (url.port == 0) return bad("udp:// needs a port");
  return url;
}

std::string TrackerUrl::api_base() const {
  constexpr std::string_view suffix = "/announce";
  std::string_view p = path;
  if (const auto q = p.find('?'); q != std::string_view::npos) p = p.substr(0, q);
  if (p.ends_with(suffix)) p.remove_suffix(suffix.size());
  while (p.ends_with('/')) p.remove_suffix(1);
  return std::string(p);
}

std::string TrackerUrl::scrape_path() const {
  const auto at = path.rfind("/announce");
  if (at == std::string::npos) return path;
  return path.substr(0, at) + "/scrape" + path.substr(at + 9);
}

}  // namespace cairn::client
