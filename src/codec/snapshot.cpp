#include "codec/snapshot.hpp"

#include <sodium/utils.h>

#include <cstring>

namespace cairn::codec::snapshot {

namespace {

constexpr std::uint8_t flag_v6 = 1;
constexpr std::uint8_t flag_seeder = 2;
constexpr std::uint8_t flag_completed = 4;
constexpr std::uint8_t known_flags = flag_v6 | flag_seeder | flag_completed;

template <class T>
void put_le(std::uint8_t* out, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

template <class T>
T get_le(const std::uint8_t* in) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(in[i]) << (8 * i);
  return v;
}

// Returns the bytes written: peer_size_v4 or peer_size_v6.
std::size_t write_peer(const Peer& p, std::uint8_t* out) {
  const bool v6 = p.endpoint.family() == core::Family::v6;
  out[0] = static_cast<std::uint8_t>((v6 ? flag_v6 : 0) | (p.seeder ? flag_seeder : 0) |
                                     (p.completed ? flag_completed : 0));
  p.endpoint.write_compact(out + 1);
  const std::size_t at = 1 + p.endpoint.compact_size();
  std::memcpy(out + at, p.peer_id.bytes.data(), core::PeerId::size);
  put_le<std::uint32_t>(out + at + core::PeerId::size, p.age);
  return at + core::PeerId::size + 4;
}

// Reads records from a byte range; every read is bounds-checked.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool done() const { return at_ == bytes_.size(); }
  const std::uint8_t* take(std::size_t n) {
    if (bytes_.size() - at_ < n) return nullptr;
    const std::uint8_t* p = bytes_.data() + at_;
    at_ += n;
    return p;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

core::Result<Peer, Error> read_peer(Reader& r) {
  const std::uint8_t* f = r.take(1);
  if (f == nullptr) return Error::bad_length;
  if ((*f & ~known_flags) != 0) return Error::bad_record;
  const bool v6 = (*f & flag_v6) != 0;
  const std::size_t addr = v6 ? 16 : 4;
  const std::uint8_t* p = r.take(addr + 2 + core::PeerId::size + 4);
  if (p == nullptr) return Error::bad_length;
  Peer peer;
  // Kept exactly as written (no v4-mapped normalisation), so decoding and
  // encoding again gives the same bytes.
  peer.endpoint.address.family = v6 ? core::Family::v6 : core::Family::v4;
  std::memcpy(peer.endpoint.address.bytes.data(), p, addr);
  peer.endpoint.port = static_cast<std::uint16_t>(p[addr] << 8 | p[addr + 1]);
  std::memcpy(peer.peer_id.bytes.data(), p + addr + 2, core::PeerId::size);
  peer.age = get_le<std::uint32_t>(p + addr + 2 + core::PeerId::size);
  peer.seeder = (*f & flag_seeder) != 0;
  peer.completed = (*f & flag_completed) != 0;
  return peer;
}

// Walks the records between header and trailer; `visit` may be empty (the
// checking pass). `peers` is scratch reused across torrents.
core::Result<Summary, Error> walk(std::span<const std::uint8_t> body, const Limits& limits,
                                  const Visitor* visit, std::vector<Peer>& peers) {
  Reader r(body);
  Summary s;
  while (!r.done()) {
    const std::uint8_t* t = r.take(torrent_size);
    if (t == nullptr) return Error::bad_length;
    if (++s.torrents > limits.max_torrents) return Error::over_limit;
    Torrent torrent;
    std::memcpy(torrent.info_hash.bytes.data(), t, core::InfoHash::size);
    torrent.downloaded = get_le<std::uint32_t>(t + 20);
    const auto count = get_le<std::uint32_t>(t + 24);
    if (count > limits.max_peers_per_torrent) return Error::over_limit;
    peers.clear();
    for (std::uint32_t i = 0; i < count; ++i) {
      auto peer = read_peer(r);
      if (!peer) return peer.error();
      if (visit) peers.push_back(*peer);
    }
    s.peers += count;
    if (visit) (*visit)(torrent, peers);
  }
  return s;
}

bool has_magic_prefix(std::span<const std::uint8_t> bytes) {
  const std::size_t n = std::min(bytes.size(), magic.size());
  return n == 0 || std::memcmp(bytes.data(), magic.data(), n) == 0;  // no memcmp on a null pointer
}

// Everything but the records: sizes, magic, version, checksum.
core::Result<Summary, Error> check_frame(std::span<const std::uint8_t> bytes,
                                         const Limits& limits) {
  if (bytes.size() > limits.max_bytes) return Error::over_limit;
  if (!has_magic_prefix(bytes)) return Error::bad_magic;
  if (bytes.size() < header_size + trailer_size) return Error::truncated;
  if (get_le<std::uint32_t>(bytes.data() + 8) != format_version) return Error::bad_version;
  const std::size_t hashed = bytes.size() - checksum_size;
  std::uint8_t sum[checksum_size];
  crypto_generichash(sum, sizeof sum, bytes.data(), hashed, nullptr, 0);
  if (sodium_memcmp(sum, bytes.data() + hashed, sizeof sum) != 0) return Error::checksum_mismatch;
  Summary s;
  s.written_at = get_le<std::uint64_t>(bytes.data() + 12);
  s.torrents = get_le<std::uint64_t>(bytes.data() + hashed - 16);
  s.peers = get_le<std::uint64_t>(bytes.data() + hashed - 8);
  return s;
}

}  // namespace

std::string_view error_text(Error e) {
  switch (e) {
    case Error::truncated: return "truncated";
    case Error::bad_magic: return "not a Cairn state file (bad magic)";
    case Error::bad_version: return "unsupported format version";
    case Error::checksum_mismatch: return "checksum mismatch";
    case Error::bad_length: return "records do not match the file's length";
    case Error::bad_record: return "bad peer record";
    case Error::count_mismatch: return "record counts do not match the trailer";
    case Error::over_limit: return "larger than the reader's limits";
  }
  return "unknown error";
}

Encoder::Encoder(std::uint64_t written_at) {
  crypto_generichash_init(&hash_, nullptr, 0, checksum_size);
  std::uint8_t header[header_size];
  std::memcpy(header, magic.data(), magic.size());
  put_le<std::uint32_t>(header + 8, format_version);
  put_le<std::uint64_t>(header + 12, written_at);
  emit(header, sizeof header);
}

void Encoder::emit(const std::uint8_t* data, std::size_t size) {
  crypto_generichash_update(&hash_, data, size);
  pending_.insert(pending_.end(), data, data + size);
}

void Encoder::add(const Torrent& torrent, std::span<const Peer> peers) {
  std::uint8_t t[torrent_size];
  std::memcpy(t, torrent.info_hash.bytes.data(), core::InfoHash::size);
  put_le<std::uint32_t>(t + 20, torrent.downloaded);
  put_le<std::uint32_t>(t + 24, static_cast<std::uint32_t>(peers.size()));
  emit(t, sizeof t);
  std::uint8_t p[peer_size_v6];
  for (const Peer& peer : peers) emit(p, write_peer(peer, p));
  ++torrents_;
  peers_ += peers.size();
}

void Encoder::finish() {
  if (finished_) return;
  finished_ = true;
  std::uint8_t counts[16];
  put_le<std::uint64_t>(counts, torrents_);
  put_le<std::uint64_t>(counts + 8, peers_);
  emit(counts, sizeof counts);
  std::uint8_t sum[checksum_size];
  crypto_generichash_final(&hash_, sum, sizeof sum);
  pending_.insert(pending_.end(), sum, sum + sizeof sum);
}

core::Result<Summary, Error> decode(std::span<const std::uint8_t> bytes, const Limits& limits,
                                    const Visitor& visit) {
  auto frame = check_frame(bytes, limits);
  if (!frame) return frame.error();
  const auto body = bytes.subspan(header_size, bytes.size() - header_size - trailer_size);
  std::vector<Peer> scratch;
  auto checked = walk(body, limits, nullptr, scratch);
  if (!checked) return checked.error();
  if (checked->torrents != frame->torrents || checked->peers != frame->peers)
    return Error::count_mismatch;
  if (visit) walk(body, limits, &visit, scratch);
  return *frame;
}

std::vector<std::uint8_t> encode(const Snapshot& s) {
  Encoder e(s.written_at);
  for (const auto& t : s.torrents) e.add(t.torrent, t.peers);
  e.finish();
  return {e.pending().begin(), e.pending().end()};
}

core::Result<Snapshot, Error> decode(std::span<const std::uint8_t> bytes, const Limits& limits) {
  Snapshot s;
  auto summary = decode(bytes, limits, [&](const Torrent& t, std::span<const Peer> peers) {
    s.torrents.push_back({t, {peers.begin(), peers.end()}});
  });
  if (!summary) return summary.error();
  s.written_at = summary->written_at;
  return s;
}

}  // namespace cairn::codec::snapshot
