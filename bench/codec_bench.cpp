// Micro-benchmarks of the hot codec paths: BEP 15 requests in and announce
// replies out, HTTP request heads and announce queries in, bencoded replies
// out. Inputs are built once, outside the timed loops; each benchmark
// reports messages per second (items/s).
//
//   codec_bench [--benchmark_filter=REGEX]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "codec/http_request.hpp"
#include "codec/http_tracker.hpp"
#include "codec/udp_tracker.hpp"
#include "core/compact_peers.hpp"

namespace {

namespace udp = cairn::codec::udp;
namespace codec = cairn::codec;
using cairn::core::Family;
using cairn::core::InfoHash;
using cairn::core::PeerId;
using cairn::core::PeerInfo;

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

// An id of pseudo-random bytes, like a SHA-1 info hash.
template <class Id>
Id random_id(std::uint64_t seed) {
  Id id;
  for (std::size_t b = 0; b < Id::size; ++b)
    id.bytes[b] = static_cast<std::uint8_t>(mix(seed + b / 8) >> (8 * (b % 8)));
  return id;
}

// A libtorrent peer id: client prefix, then random bytes.
PeerId libtorrent_peer_id() {
  PeerId id = random_id<PeerId>(7);
  const std::string_view prefix = "-LT2090-";
  std::copy(prefix.begin(), prefix.end(), id.bytes.begin());
  return id;
}

std::vector<PeerInfo> peers(std::size_t n, Family family) {
  std::vector<PeerInfo> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& a = out[i].endpoint.address;
    a.family = family;
    for (std::size_t b = 0; b < (family == Family::v4 ? 4 : 16); ++b)
      a.bytes[b] = static_cast<std::uint8_t>(mix(i * 17 + b));
    if (family == Family::v4)
      a.bytes[0] = 100;  // never a v4-mapped or special address
    else
      a.bytes[0] = 0x2a;
    out[i].endpoint.port = static_cast<std::uint16_t>(1024 + mix(i) % 60000);
    out[i].peer_id = random_id<PeerId>(i * 3);
  }
  return out;
}

// --- UDP (BEP 15 / 41) ---

udp::AnnounceRequest udp_announce(std::string_view url) {
  udp::AnnounceRequest r;
  r.connection_id = 0x1122334455667788;
  r.transaction_id = 0xdeadbeef;
  r.info_hash = random_id<InfoHash>(1);
  r.peer_id = libtorrent_peer_id();
  r.left = 1 << 30;
  r.event = cairn::core::Event::started;
  r.key = 0x5a3f2b1c;
  r.numwant = 200;
  r.port = 6881;
  std::copy(url.begin(), url.end(), r.url_data.begin());
  r.url_data_size = url.size();
  return r;
}

void run_parse(benchmark::State& state, const std::vector<std::uint8_t>& packet) {
  for (auto _ : state) {
    auto r = udp::parse_request(packet);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_udp_parse_connect(benchmark::State& state) {
  std::vector<std::uint8_t> p(16);
  p.resize(udp::encode_connect_request(0x1234, p));
  run_parse(state, p);
}
BENCHMARK(BM_udp_parse_connect);

void BM_udp_parse_announce(benchmark::State& state) {
  std::vector<std::uint8_t> p(udp::kMaxPacket);
  p.resize(udp::encode_announce_request(udp_announce(""), p));
  run_parse(state, p);
}
BENCHMARK(BM_udp_parse_announce);

// BEP 41: what a private tracker's URL puts after the host.
void BM_udp_parse_announce_bep41(benchmark::State& state) {
  std::vector<std::uint8_t> p(udp::kMaxPacket);
  p.resize(udp::encode_announce_request(
      udp_announce("/announce?passkey=0123456789abcdef0123456789abcdef"), p));
  run_parse(state, p);
}
BENCHMARK(BM_udp_parse_announce_bep41);

void BM_udp_parse_scrape_10(benchmark::State& state) {
  std::vector<InfoHash> hashes;
  hashes.reserve(10);
  for (int i = 0; i < 10; ++i) hashes.push_back(random_id<InfoHash>(100 + i * 3));
  std::vector<std::uint8_t> p(udp::kMaxPacket);
  p.resize(udp::encode_scrape_request(0x1122334455667788, 0x42, hashes, p));
  run_parse(state, p);
}
BENCHMARK(BM_udp_parse_scrape_10);

void BM_udp_encode_announce(benchmark::State& state) {
  const Family family = state.range(0) == 4 ? Family::v4 : Family::v6;
  const cairn::core::PeerList list(peers(50, family));  // as the store hands them
  std::vector<std::uint8_t> out(8192);
  for (auto _ : state) {
    auto n = udp::encode_announce_response(0xdeadbeef, 1800, 30, 20, list.view(), family, out);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_udp_encode_announce)->ArgName("v")->Arg(4)->Arg(6);

// --- HTTP ---

// Percent-encodes as libtorrent does: unreserved bytes as is, the rest %XX.
std::string escape(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

// The query libtorrent 2.0 sends on a torrent's first announce.
std::string libtorrent_query() {
  return "info_hash=" + escape(random_id<InfoHash>(1).view()) +
         "&peer_id=" + escape(libtorrent_peer_id().view()) +
         "&port=6881&uploaded=0&downloaded=0&left=1073741824&corrupt=0&key=5A3F2B1C"
         "&event=started&numwant=200&compact=1&no_peer_id=1&supportcrypto=1&redundant=0";
}

std::string libtorrent_head() {
  return "GET /announce?" + libtorrent_query() +
         " HTTP/1.1\r\n"
         "Host: tracker.example.org:6969\r\n"
         "User-Agent: libtorrent/2.0.9.0\r\n"
         "Accept-Encoding: gzip\r\n"
         "Connection: close\r\n"
         "\r\n";
}

void BM_http_parse_request(benchmark::State& state) {
  const std::string head = libtorrent_head();
  for (auto _ : state) {
    auto r = codec::parse_http_request(head);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(head.size()));
  state.counters["bytes"] = static_cast<double>(head.size());
}
BENCHMARK(BM_http_parse_request);

void BM_http_parse_announce_query(benchmark::State& state) {
  const std::string query = libtorrent_query();
  if (!codec::parse_announce_query(query)) state.SkipWithError("query does not parse");
  for (auto _ : state) {
    auto q = codec::parse_announce_query(query);
    benchmark::DoNotOptimize(q);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(query.size());
}
BENCHMARK(BM_http_parse_announce_query);

// 50 IPv4 peers; with state.range(0) == 0 as the dictionary list with ids.
void BM_http_encode_announce(benchmark::State& state) {
  const cairn::core::PeerList list(peers(50, Family::v4));
  codec::AnnounceReply reply;
  reply.interval = 1800;
  reply.min_interval = 900;
  reply.complete = 20;
  reply.incomplete = 30;
  reply.peers = list.view();
  reply.compact = state.range(0) != 0;
  std::string out;
  out.reserve(4096);  // a worker reuses its buffer: no allocation once warm
  for (auto _ : state) {
    out.clear();
    codec::encode_announce_reply(reply, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_http_encode_announce)->ArgName("compact")->Arg(1)->Arg(0);

void BM_http_encode_scrape(benchmark::State& state) {
  std::vector<codec::ScrapeFile> files(static_cast<std::size_t>(state.range(0)));
  for (std::size_t i = 0; i < files.size(); ++i)
    files[i] = {random_id<InfoHash>(i * 5), 20, 1234, 30};
  std::string out;
  out.reserve(16384);
  for (auto _ : state) {
    out.clear();
    codec::encode_scrape_reply(files, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_http_encode_scrape)->ArgName("files")->Arg(1)->Arg(10);

}  // namespace

BENCHMARK_MAIN();
