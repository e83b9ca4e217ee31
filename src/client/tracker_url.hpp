#pragma once
// A tracker as a client names it: http://host:port/path, https://..., or
// udp://host:port[/path]. BEP 12 lists them in tiers.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/error.hpp"

namespace cairn::client {

struct TrackerUrl {
  enum class Scheme : std::uint8_t { http, https, udp };
  Scheme scheme = Scheme::http;
  std::string host;  // a name, an IPv4 address or an IPv6 address without brackets
  std::uint16_t port = 0;
  std::string path;  // "/announce", "" for none; for udp, the BEP 41 URL data
  std::string text;  // as given

  // Default ports: 80 (http), 443 (https); udp needs one.
  static Result<TrackerUrl> parse(std::string_view text);

  // Where the rendezvous API lives (docs/rendezvous.md): the URL's path
  // without a final "/announce", so ".../announce" and the bare host both
  // reach "/v1/...".
  std::string api_base() const;
  // The BitTorrent scrape path (BEP 48): "announce" replaced by "scrape".
  std::string scrape_path() const;
};

using Tier = std::vector<TrackerUrl>;
using Tiers = std::vector<Tier>;

}  // namespace cairn::client
