#include "codec/snapshot.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "support/ids.hpp"

using namespace cairn::codec::snapshot;
using namespace cairn::core;
using cairn::test::id_of;

namespace {

using Bytes = std::vector<std::uint8_t>;

Peer peer(std::uint32_t n, bool v6) {
  Peer p;
  p.endpoint =
      *Endpoint::parse(v6 ? "[2001:db8::" + std::to_string(n) + "]:" + std::to_string(1000 + n)
                          : "10.0.0." + std::to_string(n % 250) + ":" + std::to_string(1000 + n));
  p.peer_id = id_of<PeerId>(n);
  p.seeder = n % 3 == 0;
  p.completed = n % 2 == 0;
  p.age = n * 17;
  return p;
}

RecordId record_id(std::uint32_t n, bool key) {
  return key ? cairn::test::key_id_of(n) : cairn::test::unsigned_id_of(n);
}

// Signed records on odd n, IPv6 sources on every third, bodies of 0 to
// 300 bytes (NULs included).
Record record(std::uint32_t n) {
  Record r;
  r.id = record_id(n, n % 2 == 1);
  r.source = *Address::parse(n % 3 == 0 ? "2001:db8::" + std::to_string(n)
                                        : "192.0.2." + std::to_string(n % 250));
  if (r.id.is_public_key()) {
    r.seq = 1'700'000'000'000ull + n;
    for (std::size_t i = 0; i < r.signature.size(); ++i)
      r.signature[i] = static_cast<std::uint8_t>(n + i);
  }
  r.age = n * 7;
  r.remaining = 3600 - n;
  r.body.assign(n * 37 % 301, '\0');
  for (std::size_t i = 0; i < r.body.size(); i += 3) r.body[i] = static_cast<char>(n + i);
  return r;
}

Tombstone tombstone(std::uint32_t n) { return {record_id(n, true), 99 + n, 60 * n}; }

Snapshot sample() {
  Snapshot s;
  s.written_at = 1'700'000'000;
  for (std::uint32_t t = 0; t < 4; ++t) {
    TorrentPeers tp;
    tp.torrent = {id_of<InfoHash>(100 + t), t * 5};
    for (std::uint32_t i = 0; i < t * 3; ++i) tp.peers.push_back(peer(t * 10 + i, i % 2 == 1));
    s.torrents.push_back(tp);
  }
  for (std::uint32_t t = 0; t < 4; ++t) {
    TopicRecords tr;
    tr.topic = id_of<TopicId>(200 + t);
    for (std::uint32_t i = 0; i < t * 2; ++i) tr.records.push_back(record(t * 10 + i));
    for (std::uint32_t i = 0; i < t % 3; ++i) tr.tombstones.push_back(tombstone(t * 10 + i));
    s.topics.push_back(tr);
  }
  return s;
}

// Version 1 of a snapshot without topics: the same bytes but for the
// version, the trailer's record counts, and the checksum.
Bytes as_v1(const Snapshot& s) {
  EXPECT_TRUE(s.topics.empty());
  Bytes bytes = encode(s);
  bytes[8] = 1;
  bytes.erase(bytes.end() - checksum_size - 24, bytes.end() - checksum_size);
  const std::size_t hashed = bytes.size() - checksum_size;
  crypto_generichash(bytes.data() + hashed, checksum_size, bytes.data(), hashed, nullptr, 0);
  return bytes;
}

TEST(Snapshot, RoundTrip) {
  const Snapshot s = sample();
  const Bytes bytes = encode(s);
  auto back = decode(bytes);
  ASSERT_TRUE(back.has_value()) << error_text(back.error());
  EXPECT_EQ(*back, s);
  EXPECT_EQ(encode(*back), bytes);
}

TEST(Snapshot, EmptyRoundTrip) {
  Snapshot s;
  s.written_at = 42;
  const Bytes bytes = encode(s);
  EXPECT_EQ(bytes.size(), header_size + trailer_size);
  auto back = decode(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, s);
}

TEST(Snapshot, SizesAreAsDocumented) {
  Snapshot s;
  s.torrents.push_back({{id_of<InfoHash>(1), 0}, {peer(1, false), peer(2, true)}});
  EXPECT_EQ(encode(s).size(),
            header_size + torrent_size + peer_size_v4 + peer_size_v6 + trailer_size);
  Record r = record(2);  // unsigned, IPv4
  r.body = "abc";
  Record k = record(3);  // signed, IPv6
  k.body.clear();
  s.topics.push_back({id_of<TopicId>(1), {r, k}, {tombstone(4)}});
  EXPECT_EQ(encode(s).size(), header_size + torrent_size + peer_size_v4 + peer_size_v6 +
                                  topic_size + record_size_min + 3 + record_size_min + 16 + 12 +
                                  tombstone_size_min + 16 + trailer_size);
}

TEST(Snapshot, StreamedEqualsWhole) {
  const Snapshot s = sample();
  Encoder e(s.written_at);
  Bytes streamed;
  auto take = [&] {
    streamed.insert(streamed.end(), e.pending().begin(), e.pending().end());
    e.clear_pending();
  };
  for (const auto& t : s.torrents) {
    e.add(t.torrent, t.peers);
    take();
  }
  for (const auto& t : s.topics) {
    e.add_topic(t.topic, t.records, t.tombstones);
    take();
  }
  e.finish();
  take();
  EXPECT_EQ(streamed, encode(s));
  EXPECT_EQ(e.torrents(), s.torrents.size());
  EXPECT_EQ(e.topics(), s.topics.size());
  EXPECT_EQ(e.records(), 12u);
  EXPECT_EQ(e.tombstones(), 3u);
}

TEST(Snapshot, VisitorsSeeNothingOfABadFile) {
  const Bytes good = encode(sample());
  for (std::size_t at : {header_size + 3, good.size() - trailer_size - 5}) {  // a torrent, a record
    Bytes bytes = good;
    bytes[at] ^= 1;
    int visits = 0;
    auto r = decode(
        bytes, Limits{}, [&](const Torrent&, std::span<const Peer>) { ++visits; },
        [&](const TopicId&, std::span<const Record>, std::span<const Tombstone>) { ++visits; });
    EXPECT_FALSE(r.has_value());
    EXPECT_EQ(visits, 0);
  }
}

TEST(Snapshot, SummaryCountsEverything) {
  auto r = decode(encode(sample()), Limits{}, {}, {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->version, format_version);
  EXPECT_EQ(r->torrents, 4u);
  EXPECT_EQ(r->peers, 18u);
  EXPECT_EQ(r->topics, 4u);
  EXPECT_EQ(r->records, 12u);
  EXPECT_EQ(r->tombstones, 3u);
}

// What the store never holds is left out, and the file stays readable.
TEST(Snapshot, EncoderLeavesOutWhatTheFormatCannotHold) {
  Snapshot s = sample();
  Record no_id = record(1);
  no_id.id = RecordId{};
  Record huge = record(2);
  huge.body.assign(max_body + 1, 'x');
  Record largest = record(3);
  largest.body.assign(max_body, 'y');
  s.topics[0].records = {no_id, huge, largest};
  s.topics[0].tombstones = {Tombstone{}};
  auto back = decode(encode(s));
  ASSERT_TRUE(back.has_value()) << error_text(back.error());
  EXPECT_EQ(back->topics[0].records, std::vector{largest});
  EXPECT_TRUE(back->topics[0].tombstones.empty());
}

TEST(Snapshot, Version1IsStillRead) {
  Snapshot s = sample();
  s.topics.clear();
  const Bytes v1 = as_v1(s);
  EXPECT_EQ(v1.size(), encode(s).size() - 24);
  auto back = decode(v1);
  ASSERT_TRUE(back.has_value()) << error_text(back.error());
  EXPECT_EQ(*back, s);
  EXPECT_EQ(decode(v1, Limits{}, {})->version, 1u);
  EXPECT_EQ(encode(*back), encode(s));  // written again as the current version
  Snapshot empty;
  empty.written_at = 5;
  EXPECT_EQ(*decode(as_v1(empty)), empty);
}

void expect_every_truncation_rejected(const Bytes& bytes) {
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = decode(std::span(bytes.data(), n));
    ASSERT_FALSE(r.has_value()) << "accepted a prefix of " << n << " bytes";
    const Error e = r.error();
    EXPECT_TRUE(e == Error::truncated || e == Error::checksum_mismatch)
        << n << ": " << error_text(e);
  }
}

TEST(Snapshot, EveryTruncationIsRejected) { expect_every_truncation_rejected(encode(sample())); }

TEST(Snapshot, EveryTruncationOfVersion1IsRejected) {
  Snapshot s = sample();
  s.topics.clear();
  expect_every_truncation_rejected(as_v1(s));
}

TEST(Snapshot, EveryFlippedByteIsRejected) {
  const Bytes bytes = encode(sample());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    Bytes bad = bytes;
    bad[i] ^= 0x20;
    auto r = decode(bad);
    ASSERT_FALSE(r.has_value()) << "accepted a flip at " << i;
    if (i >= magic.size() + 4) {
      EXPECT_EQ(r.error(), Error::checksum_mismatch) << i;
    }
  }
}

TEST(Snapshot, WrongMagicAndVersion) {
  Bytes bytes = encode(sample());
  Bytes bad_magic = bytes;
  bad_magic[0] = 'X';
  EXPECT_EQ(decode(bad_magic).error(), Error::bad_magic);
  for (std::uint8_t version : std::to_array<std::uint8_t>({0, 3})) {
    Bytes bad_version = bytes;
    bad_version[8] = version;
    EXPECT_EQ(decode(bad_version).error(), Error::bad_version);
  }
  EXPECT_EQ(decode(Bytes{'h', 'e', 'l', 'l', 'o'}).error(), Error::bad_magic);
  EXPECT_EQ(decode(Bytes(magic.begin(), magic.end())).error(), Error::truncated);
}

// A file whose checksum is right but whose records are not: only a writer
// bug or a hand-made file gets here.
Bytes resealed(Bytes bytes) {
  const std::size_t hashed = bytes.size() - checksum_size;
  crypto_generichash(bytes.data() + hashed, checksum_size, bytes.data(), hashed, nullptr, 0);
  return bytes;
}

TEST(Snapshot, StructuralErrorsBehindAGoodChecksum) {
  Snapshot s;
  s.torrents.push_back({{id_of<InfoHash>(1), 3}, {peer(1, false)}});
  const Bytes bytes = encode(s);
  const std::size_t peer_at = header_size + torrent_size;

  Bytes flags = bytes;
  flags[peer_at] |= 0x80;
  EXPECT_EQ(decode(resealed(flags)).error(), Error::bad_record);

  Bytes count = bytes;
  count[header_size + 24] = 2;  // two peers claimed, one present
  EXPECT_EQ(decode(resealed(count)).error(), Error::bad_length);

  Bytes trailer = bytes;
  const std::size_t trailer_at = peer_at + peer_size_v4;
  ASSERT_EQ(trailer.size(), trailer_at + trailer_size);
  trailer.at(trailer_at) = 7;  // torrents in the trailer
  EXPECT_EQ(decode(resealed(trailer)).error(), Error::count_mismatch);

  Bytes v6 = bytes;
  v6[peer_at] |= 1;  // now claims 12 more address bytes than it has
  EXPECT_EQ(decode(resealed(v6)).error(), Error::bad_length);
}

// One topic with an unsigned IPv4 record (body "abc") and a tombstone;
// offsets of its fields.
struct OneTopic {
  Bytes bytes;
  std::size_t topic_at = header_size;
  std::size_t record_at = topic_at + topic_size;
  std::size_t family_at = record_at + 1 + RecordId::random_size;
  std::size_t body_size_at = family_at + 1 + 4 + 8 + 64 + 4 + 4;
  std::size_t tombstone_at = body_size_at + 2 + 3;
  std::size_t trailer_at = tombstone_at + tombstone_size_min + 16;
};
OneTopic one_topic() {
  Snapshot s;
  Record r = record(2);
  r.body = "abc";
  s.topics.push_back({id_of<TopicId>(1), {r}, {tombstone(3)}});
  OneTopic o;
  o.bytes = encode(s);
  EXPECT_EQ(o.bytes.size(), o.trailer_at + trailer_size);
  return o;
}

TEST(Snapshot, RecordErrorsBehindAGoodChecksum) {
  const OneTopic o = one_topic();
  auto with = [&](std::size_t at, std::uint8_t value) {
    Bytes b = o.bytes;
    b.at(at) = value;
    return decode(resealed(b));
  };
  EXPECT_EQ(with(o.record_at, 20).error(), Error::bad_record);  // id size
  EXPECT_EQ(with(o.record_at, 0).error(), Error::bad_record);
  EXPECT_EQ(with(o.family_at, 5).error(), Error::bad_record);
  EXPECT_EQ(with(o.tombstone_at, 17).error(), Error::bad_record);
  EXPECT_EQ(with(o.body_size_at, 200).error(), Error::bad_length);
  EXPECT_EQ(with(o.trailer_at + 16, 2).error(), Error::count_mismatch);  // topics
  EXPECT_EQ(with(o.trailer_at + 24, 0).error(), Error::count_mismatch);  // records
  EXPECT_EQ(with(o.trailer_at + 32, 9).error(), Error::count_mismatch);  // tombstones
  // Sizes that make the reader misread what follows: refused, whatever it
  // then finds.
  EXPECT_FALSE(with(o.record_at, 32).has_value());     // a key's 16 more bytes
  EXPECT_FALSE(with(o.family_at, 6).has_value());      // 12 more address bytes
  EXPECT_FALSE(with(o.topic_at + 20, 2).has_value());  // two records claimed
  EXPECT_FALSE(with(o.topic_at + 24, 0).has_value());  // the tombstone left over
  EXPECT_FALSE(with(o.trailer_at, 1).has_value());     // the topic read as a torrent
}

// Version 1 ends at the torrents: entries past them are not records.
TEST(Snapshot, Version1HasNoRecords) {
  const OneTopic o = one_topic();
  Bytes v1(o.bytes.begin(), o.bytes.begin() + static_cast<std::ptrdiff_t>(o.trailer_at));
  v1[8] = 1;
  v1.insert(v1.end(), 16 + checksum_size, 0);  // torrents and peers: 0
  EXPECT_EQ(decode(resealed(v1)).error(), Error::bad_length);
}

TEST(Snapshot, Limits) {
  const Bytes bytes = encode(sample());
  Limits small;
  small.max_peers_per_torrent = 5;
  EXPECT_EQ(decode(bytes, small).error(), Error::over_limit);
  small = {};
  small.max_torrents = 3;
  EXPECT_EQ(decode(bytes, small).error(), Error::over_limit);
  small = {};
  small.max_bytes = bytes.size() - 1;
  EXPECT_EQ(decode(bytes, small).error(), Error::over_limit);
  small = {};
  small.max_topics = 3;
  EXPECT_EQ(decode(bytes, small).error(), Error::over_limit);
  small = {};
  small.max_records_per_topic = 5;
  EXPECT_EQ(decode(bytes, small).error(), Error::over_limit);
  small.max_records_per_topic = 6;
  EXPECT_TRUE(decode(bytes, small).has_value());
}

TEST(Snapshot, ShortInputsNeverCrash) {
  Bytes buf;
  for (int n = 0; n < 256; ++n) {
    buf.push_back(static_cast<std::uint8_t>(n * 37));
    EXPECT_FALSE(decode(buf).has_value());
  }
}

TEST(Snapshot, ErrorTexts) {
  EXPECT_EQ(error_text(Error::checksum_mismatch), "checksum mismatch");
  EXPECT_EQ(error_text(Error::truncated), "truncated");
}

}  // namespace
