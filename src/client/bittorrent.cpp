#include "client/bittorrent.hpp"

#include <algorithm>
#include <string>
#include <variant>

#include "codec/bencode.hpp"
#include "codec/http_tracker.hpp"
#include "codec/udp_tracker.hpp"

namespace cairn::client {

namespace {

// "peers" as a compact string (BEP 23) or a list of dictionaries (BEP 3).
void add_peers(const codec::BValue& v, std::size_t size, std::vector<core::Endpoint>& out) {
  if (v.kind == codec::BValue::Kind::string) {
    for (std::size_t i = 0; i + size <= v.string.size(); i += size) {
      core::Endpoint e;
      const auto* b = reinterpret_cast<const std::uint8_t*>(v.string.data() + i);
      e.address = size == 6 ? core::Address::v4(std::span<const std::uint8_t, 4>(b, 4))
                            : core::Address::v6(std::span<const std::uint8_t, 16>(b, 16));
      e.port = static_cast<std::uint16_t>(b[size - 2] << 8 | b[size - 1]);
      out.push_back(e);
    }
  } else if (v.kind == codec::BValue::Kind::list) {
    for (const auto& p : v.list) {
      const auto* ip = p.find("ip");
      const auto* port = p.find("port");
      if (!ip || !port || ip->kind != codec::BValue::Kind::string) continue;
      if (auto a = core::Address::parse(ip->string))
        out.push_back({*a, static_cast<std::uint16_t>(port->integer)});
    }
  }
}

std::uint32_t count(const codec::BValue& dict, std::string_view key) {
  const auto* v = dict.find(key);
  return v && v->kind == codec::BValue::Kind::integer && v->integer >= 0
             ? static_cast<std::uint32_t>(v->integer)
             : 0;
}

Result<BtAnswer> read_http_answer(const TrackerUrl& url, const HttpAnswer& answer) {
  if (answer.status != 200)
    return answered_with(url.text + ": HTTP " + std::to_string(answer.status));
  auto doc = codec::bdecode(answer.body);
  if (!doc || doc->kind != codec::BValue::Kind::dict)
    return answered_with(url.text + ": not a bencoded answer");
  if (const auto* failure = doc->find("failure reason"))
    return answered_with(url.text + ": " + std::string(failure->string));
  BtAnswer out;
  out.interval = count(*doc, "interval");
  out.seeders = count(*doc, "complete");
  out.leechers = count(*doc, "incomplete");
  if (const auto* p = doc->find("peers")) add_peers(*p, 6, out.peers);
  if (const auto* p = doc->find("peers6")) add_peers(*p, 18, out.peers);
  return out;
}

}  // namespace

std::optional<BtAddress> parse_bt_address(std::string_view text) {
  BtAddress out;
  if (!text.empty() && text.front() == ':') {
    // The same port syntax as IP:PORT, from the endpoint parser.
    auto e = core::Endpoint::parse("0.0.0.0" + std::string(text));
    if (!e) return std::nullopt;
    out.port = e->port;
  } else {
    auto e = core::Endpoint::parse(text);
    if (!e) return std::nullopt;
    out.port = e->port;
    if (!e->address.is_unspecified()) out.ip = e->address;
  }
  if (out.port == 0) return std::nullopt;
  return out;
}

Result<BtAnswer> announce_http(const TrackerUrl& url, const BtAnnounce& a, Millis timeout) {
  codec::AnnounceQuery q;
  q.info_hash = a.info_hash;
  q.peer_id = a.peer_id;
  q.port = a.port;
  q.left = a.left;
  q.left_present = true;
  q.event = a.event;
  q.numwant = a.numwant;
  q.key = a.key;
  q.ip = a.ip;
  const std::string path = url.path.empty() ? "/announce" : url.path;
  const char sep = path.find('?') == std::string::npos ? '?' : '&';
  auto answer =
      http_exchange(url, "GET", path + sep + codec::encode_announce_query(q), "", timeout);
  if (!answer) return answer.error();
  return read_http_answer(url, *answer);
}

Result<BtAnswer> announce_udp(UdpSession& session, const BtAnnounce& a, Millis timeout, int tries) {
  const auto& url = session.url();
  auto answer = session.exchange(
      [&](std::uint64_t cid, std::uint32_t txid, std::span<std::uint8_t> out) {
        codec::udp::AnnounceRequest r;
        r.connection_id = cid;
        r.transaction_id = txid;
        r.info_hash = a.info_hash;
        r.peer_id = a.peer_id;
        r.left = a.left;
        r.event = a.event;
        r.key = a.key;
        r.numwant = a.numwant;
        r.port = a.port;
        if (a.ip && a.ip->family == core::Family::v4)
          std::copy_n(a.ip->bytes.begin(), r.ip.size(), r.ip.begin());
        const std::size_t n = std::min(url.path.size(), r.url_data.size());
        std::copy_n(url.path.begin(), n, r.url_data.begin());
        r.url_data_size = n;
        return codec::udp::encode_announce_request(r, out);
      },
      timeout, tries);
  if (!answer) return answer.error();
  // The socket's family decides the peers' size.
  auto parsed =
      codec::udp::parse_response(*answer, session.ipv6() ? core::Family::v6 : core::Family::v4);
  if (!parsed) return answered_with(url.text + ": malformed answer");
  if (const auto* e = std::get_if<codec::udp::ErrorResponse>(&*parsed))
    return answered_with(url.text + ": " + std::string(e->message));
  const auto* r = std::get_if<codec::udp::AnnounceResponse>(&*parsed);
  if (!r) return answered_with(url.text + ": unexpected answer");
  BtAnswer out{r->interval, r->seeders, r->leechers, {}};
  for (std::size_t i = 0; i < r->peer_count(); ++i) out.peers.push_back(r->peer(i));
  return out;
}

}  // namespace cairn::client
