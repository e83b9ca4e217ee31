#include "codec/snapshot.hpp"

#include <sodium/utils.h>

#include <algorithm>
#include <cassert>
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
  for (std::size_t i = 0; i < sizeof(T); ++i)
    v = static_cast<T>(v | static_cast<T>(in[i]) << (8 * i));
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

constexpr std::uint8_t family_v4 = 4;
constexpr std::uint8_t family_v6 = 6;

bool valid_id_size(std::size_t size) {
  return size == core::RecordId::random_size || size == core::RecordId::key_size;
}

std::size_t write_id(const core::RecordId& id, std::uint8_t* out) {
  out[0] = id.size;
  std::memcpy(out + 1, id.bytes.data(), id.size);
  return 1 + id.size;
}

// Everything of a record but its body; returns the bytes written.
std::size_t write_record_head(const Record& r, std::uint8_t* out) {
  std::size_t at = write_id(r.id, out);
  const bool v6 = r.source.family == core::Family::v6;
  out[at++] = v6 ? family_v6 : family_v4;
  std::memcpy(out + at, r.source.bytes.data(), r.source.size());
  at += r.source.size();
  put_le<std::uint64_t>(out + at, r.seq);
  std::memcpy(out + at + 8, r.signature.data(), r.signature.size());
  at += 8 + r.signature.size();
  put_le<std::uint32_t>(out + at, r.age);
  put_le<std::uint32_t>(out + at + 4, r.remaining);
  put_le<std::uint16_t>(out + at + 8, static_cast<std::uint16_t>(r.body.size()));
  return at + 10;
}

std::size_t write_tombstone(const Tombstone& t, std::uint8_t* out) {
  const std::size_t at = write_id(t.id, out);
  put_le<std::uint64_t>(out + at, t.seq);
  put_le<std::uint32_t>(out + at + 8, t.remaining);
  return at + 12;
}

constexpr std::size_t record_head_max = record_size_min + 12 + 16;
static_assert(tombstone_size_min + 16 <= record_head_max, "one buffer serves both");

// Reads entries from a byte range; every read is bounds-checked.
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

core::Result<core::RecordId, Error> read_id(Reader& r) {
  const std::uint8_t* size = r.take(1);
  if (size == nullptr) return Error::bad_length;
  if (!valid_id_size(*size)) return Error::bad_record;
  const std::uint8_t* p = r.take(*size);
  if (p == nullptr) return Error::bad_length;
  return *core::RecordId::from_bytes({p, *size});
}

core::Result<Record, Error> read_record(Reader& r) {
  Record record;
  auto id = read_id(r);
  if (!id) return id.error();
  record.id = *id;
  const std::uint8_t* family = r.take(1);
  if (family == nullptr) return Error::bad_length;
  if (*family != family_v4 && *family != family_v6) return Error::bad_record;
  // Kept as written (no v4-mapped normalisation), as peers are.
  record.source.family = *family == family_v6 ? core::Family::v6 : core::Family::v4;
  const std::size_t addr = record.source.size();
  const std::uint8_t* p = r.take(addr + 8 + record.signature.size() + 4 + 4 + 2);
  if (p == nullptr) return Error::bad_length;
  std::memcpy(record.source.bytes.data(), p, addr);
  p += addr;
  record.seq = get_le<std::uint64_t>(p);
  std::memcpy(record.signature.data(), p + 8, record.signature.size());
  p += 8 + record.signature.size();
  record.age = get_le<std::uint32_t>(p);
  record.remaining = get_le<std::uint32_t>(p + 4);
  const auto body_size = get_le<std::uint16_t>(p + 8);
  const std::uint8_t* body = r.take(body_size);
  if (body == nullptr) return Error::bad_length;
  record.body.assign(reinterpret_cast<const char*>(body), body_size);
  return record;
}

core::Result<Tombstone, Error> read_tombstone(Reader& r) {
  Tombstone t;
  auto id = read_id(r);
  if (!id) return id.error();
  t.id = *id;
  const std::uint8_t* p = r.take(8 + 4);
  if (p == nullptr) return Error::bad_length;
  t.seq = get_le<std::uint64_t>(p);
  t.remaining = get_le<std::uint32_t>(p + 8);
  return t;
}

// Reads `count` entries with `read` into `out`, which is filled only when
// `keep` (the visiting pass; the checking pass only counts).
template <class T, class Read>
core::Result<void, Error> read_all(Reader& r, std::uint32_t count, Read read, bool keep,
                                   std::vector<T>& out) {
  out.clear();
  for (std::uint32_t i = 0; i < count; ++i) {
    auto entry = read(r);
    if (!entry) return entry.error();
    if (keep) out.push_back(std::move(*entry));
  }
  return {};
}

// Scratch reused from one torrent or topic to the next.
struct Scratch {
  std::vector<Peer> peers;
  std::vector<Record> records;
  std::vector<Tombstone> tombstones;
};

// The torrents section: as many torrents as the trailer counts, or fewer
// if the section ends first (the counts are compared afterwards).
core::Result<void, Error> walk_torrents(Reader& r, std::uint64_t count, const Limits& limits,
                                        const Visitor* visit, Scratch& scratch, Summary& s) {
  while (s.torrents < count && !r.done()) {
    const std::uint8_t* t = r.take(torrent_size);
    if (t == nullptr) return Error::bad_length;
    if (++s.torrents > limits.max_torrents) return Error::over_limit;
    Torrent torrent;
    std::memcpy(torrent.info_hash.bytes.data(), t, core::InfoHash::size);
    torrent.downloaded = get_le<std::uint32_t>(t + 20);
    const auto peers = get_le<std::uint32_t>(t + 24);
    if (peers > limits.max_peers_per_torrent) return Error::over_limit;
    auto read = read_all(r, peers, read_peer, visit != nullptr, scratch.peers);
    if (!read) return read.error();
    s.peers += peers;
    if (visit) (*visit)(torrent, scratch.peers);
  }
  return {};
}

core::Result<void, Error> walk_topics(Reader& r, const Limits& limits, const TopicVisitor* visit,
                                      Scratch& scratch, Summary& s) {
  while (!r.done()) {
    const std::uint8_t* t = r.take(topic_size);
    if (t == nullptr) return Error::bad_length;
    if (++s.topics > limits.max_topics) return Error::over_limit;
    const auto topic = core::TopicId::from_bytes(std::span<const std::uint8_t, 20>(t, 20));
    const auto records = get_le<std::uint32_t>(t + 20);
    const auto tombstones = get_le<std::uint32_t>(t + 24);
    if (records > limits.max_records_per_topic || tombstones > limits.max_records_per_topic)
      return Error::over_limit;
    const bool keep = visit != nullptr;
    auto read = read_all(r, records, read_record, keep, scratch.records);
    if (read) read = read_all(r, tombstones, read_tombstone, keep, scratch.tombstones);
    if (!read) return read.error();
    s.records += records;
    s.tombstones += tombstones;
    if (visit) (*visit)(topic, scratch.records, scratch.tombstones);
  }
  return {};
}

// Walks the entries between header and trailer; the visitors are null in
// the checking pass.
core::Result<Summary, Error> walk(std::span<const std::uint8_t> body, const Summary& frame,
                                  const Limits& limits, const Visitor* visit,
                                  const TopicVisitor* visit_topic, Scratch& scratch) {
  Reader r(body);
  Summary s = frame;
  s.torrents = s.peers = s.topics = s.records = s.tombstones = 0;
  auto walked = walk_torrents(r, frame.torrents, limits, visit, scratch, s);
  if (walked && frame.version >= 2) walked = walk_topics(r, limits, visit_topic, scratch, s);
  if (!walked) return walked.error();
  if (!r.done()) return Error::bad_length;  // version 1: more torrents than counted
  return s;
}

std::size_t trailer_size_of(std::uint32_t version) {
  return version == 1 ? trailer_size_v1 : trailer_size;
}

// Everything but the records: sizes, magic, version, checksum.
core::Result<Summary, Error> check_frame(std::span<const std::uint8_t> bytes,
                                         const Limits& limits) {
  if (bytes.size() > limits.max_bytes) return Error::over_limit;
  if (!has_magic_prefix(bytes)) return Error::bad_magic;
  if (bytes.size() < header_size + trailer_size_v1) return Error::truncated;
  Summary s;
  s.version = get_le<std::uint32_t>(bytes.data() + 8);
  if (s.version < oldest_version || s.version > format_version) return Error::bad_version;
  if (bytes.size() < header_size + trailer_size_of(s.version)) return Error::truncated;
  const std::size_t hashed = bytes.size() - checksum_size;
  std::uint8_t sum[checksum_size];
  crypto_generichash(sum, sizeof sum, bytes.data(), hashed, nullptr, 0);
  if (sodium_memcmp(sum, bytes.data() + hashed, sizeof sum) != 0) return Error::checksum_mismatch;
  s.written_at = get_le<std::uint64_t>(bytes.data() + 12);
  const std::uint8_t* counts = bytes.data() + bytes.size() - trailer_size_of(s.version);
  s.torrents = get_le<std::uint64_t>(counts);
  s.peers = get_le<std::uint64_t>(counts + 8);
  if (s.version >= 2) {
    s.topics = get_le<std::uint64_t>(counts + 16);
    s.records = get_le<std::uint64_t>(counts + 24);
    s.tombstones = get_le<std::uint64_t>(counts + 32);
  }
  return s;
}

bool same_counts(const Summary& a, const Summary& b) {
  return a.torrents == b.torrents && a.peers == b.peers && a.topics == b.topics &&
         a.records == b.records && a.tombstones == b.tombstones;
}

}  // namespace

bool has_magic_prefix(std::span<const std::uint8_t> bytes) {
  const std::size_t n = std::min(bytes.size(), magic.size());
  return n == 0 || std::memcmp(bytes.data(), magic.data(), n) == 0;  // no memcmp on a null pointer
}

std::string_view error_text(Error e) {
  switch (e) {
    case Error::truncated:
      return "truncated";
    case Error::bad_magic:
      return "not a Cairn state file (bad magic)";
    case Error::bad_version:
      return "unsupported format version";
    case Error::checksum_mismatch:
      return "checksum mismatch";
    case Error::bad_length:
      return "records do not match the file's length";
    case Error::bad_record:
      return "bad peer or rendezvous record";
    case Error::count_mismatch:
      return "record counts do not match the trailer";
    case Error::over_limit:
      return "larger than the reader's limits";
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
  assert(topics_ == 0 && "every torrent before the first topic");
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

void Encoder::add_topic(const core::TopicId& topic, std::span<const Record> records,
                        std::span<const Tombstone> tombstones) {
  auto fits = [](const auto& e) { return valid_id_size(e.id.size); };
  auto body_fits = [](const Record& r) { return r.body.size() <= max_body; };
  const auto record_count = std::count_if(records.begin(), records.end(),
                                          [&](const Record& r) { return fits(r) && body_fits(r); });
  const auto tombstone_count = std::count_if(tombstones.begin(), tombstones.end(), fits);
  std::uint8_t t[topic_size];
  std::memcpy(t, topic.bytes.data(), core::TopicId::size);
  put_le<std::uint32_t>(t + 20, static_cast<std::uint32_t>(record_count));
  put_le<std::uint32_t>(t + 24, static_cast<std::uint32_t>(tombstone_count));
  emit(t, sizeof t);
  std::uint8_t buf[record_head_max];
  for (const Record& r : records) {
    if (!fits(r) || !body_fits(r)) continue;
    emit(buf, write_record_head(r, buf));
    emit(reinterpret_cast<const std::uint8_t*>(r.body.data()), r.body.size());
  }
  for (const Tombstone& tomb : tombstones) {
    if (fits(tomb)) emit(buf, write_tombstone(tomb, buf));
  }
  ++topics_;
  records_ += static_cast<std::uint64_t>(record_count);
  tombstones_ += static_cast<std::uint64_t>(tombstone_count);
}

void Encoder::finish() {
  if (finished_) return;
  finished_ = true;
  std::uint8_t counts[trailer_size - checksum_size];
  put_le<std::uint64_t>(counts, torrents_);
  put_le<std::uint64_t>(counts + 8, peers_);
  put_le<std::uint64_t>(counts + 16, topics_);
  put_le<std::uint64_t>(counts + 24, records_);
  put_le<std::uint64_t>(counts + 32, tombstones_);
  emit(counts, sizeof counts);
  std::uint8_t sum[checksum_size];
  crypto_generichash_final(&hash_, sum, sizeof sum);
  pending_.insert(pending_.end(), sum, sum + sizeof sum);
}

core::Result<Summary, Error> decode(std::span<const std::uint8_t> bytes, const Limits& limits,
                                    const Visitor& visit, const TopicVisitor& visit_topic) {
  auto frame = check_frame(bytes, limits);
  if (!frame) return frame.error();
  const std::size_t trailer = trailer_size_of(frame->version);
  const auto body = bytes.subspan(header_size, bytes.size() - header_size - trailer);
  Scratch scratch;
  auto checked = walk(body, *frame, limits, nullptr, nullptr, scratch);
  if (!checked) return checked.error();
  if (!same_counts(*checked, *frame)) return Error::count_mismatch;
  if (visit || visit_topic)
    walk(body, *frame, limits, visit ? &visit : nullptr, visit_topic ? &visit_topic : nullptr,
         scratch);
  return *frame;
}

std::vector<std::uint8_t> encode(const Snapshot& s) {
  Encoder e(s.written_at);
  for (const auto& t : s.torrents) e.add(t.torrent, t.peers);
  for (const auto& t : s.topics) e.add_topic(t.topic, t.records, t.tombstones);
  e.finish();
  return {e.pending().begin(), e.pending().end()};
}

core::Result<Snapshot, Error> decode(std::span<const std::uint8_t> bytes, const Limits& limits) {
  Snapshot s;
  auto visit = [&](const Torrent& t, std::span<const Peer> peers) {
    s.torrents.push_back({t, {peers.begin(), peers.end()}});
  };
  auto visit_topic = [&](const core::TopicId& topic, std::span<const Record> records,
                         std::span<const Tombstone> tombstones) {
    s.topics.push_back(
        {topic, {records.begin(), records.end()}, {tombstones.begin(), tombstones.end()}});
  };
  auto summary = decode(bytes, limits, visit, visit_topic);
  if (!summary) return summary.error();
  s.written_at = summary->written_at;
  return s;
}

}  // namespace cairn::codec::snapshot
