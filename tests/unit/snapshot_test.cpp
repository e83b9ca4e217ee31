#include "codec/snapshot.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using namespace cairn::codec::snapshot;
using namespace cairn::core;

namespace {

using Bytes = std::vector<std::uint8_t>;

template <class Id>
Id id_of(std::uint32_t seed) {
  Id id;
  for (std::size_t i = 0; i < Id::size; ++i) id.bytes[i] = static_cast<std::uint8_t>(seed * 31 + 7 * i);
  return id;
}

Peer peer(std::uint32_t n, bool v6) {
  Peer p;
  p.endpoint = *Endpoint::parse(v6 ? "[2001:db8::" + std::to_string(n) + "]:" + std::to_string(1000 + n)
                                   : "10.0.0." + std::to_string(n % 250) + ":" + std::to_string(1000 + n));
  p.peer_id = id_of<PeerId>(n);
  p.seeder = n % 3 == 0;
  p.completed = n % 2 == 0;
  p.age = n * 17;
  return p;
}

Snapshot sample() {
  Snapshot s;
  s.written_at = 1'700'000'000;
  for (std::uint32_t t = 0; t < 4; ++t) {
    TorrentPeers tp;
    tp.torrent = {id_of<InfoHash>(100 + t), t * 5};
    for (std::uint32_t i = 0; i < t * 3; ++i) tp.peers.push_back(peer(t * 10 + i, i % 2 == 1));
    s.torrents.push_back(tp);
  }
  return s;
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
}

TEST(Snapshot, StreamedEqualsWhole) {
  const Snapshot s = sample();
  Encoder e(s.written_at);
  Bytes streamed;
  for (const auto& t : s.torrents) {
    e.add(t.torrent, t.peers);
    streamed.insert(streamed.end(), e.pending().begin(), e.pending().end());
    e.clear_pending();
  }
  e.finish();
  streamed.insert(streamed.end(), e.pending().begin(), e.pending().end());
  EXPECT_EQ(streamed, encode(s));
  EXPECT_EQ(e.torrents(), s.torrents.size());
}

TEST(Snapshot, VisitorSeesNothingOfABadFile) {
  Bytes bytes = encode(sample());
  bytes[header_size + 3] ^= 1;  // inside the first torrent record
  int visits = 0;
  auto r = decode(bytes, Limits{}, [&](const Torrent&, std::span<const Peer>) { ++visits; });
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(visits, 0);
}

TEST(Snapshot, EveryTruncationIsRejected) {
  const Bytes bytes = encode(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = decode(std::span(bytes.data(), n));
    ASSERT_FALSE(r.has_value()) << "accepted a prefix of " << n << " bytes";
    const Error e = r.error();
    EXPECT_TRUE(e == Error::truncated || e == Error::checksum_mismatch) << n << ": " << error_text(e);
  }
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
  Bytes bad_version = bytes;
  bad_version[8] = 2;
  EXPECT_EQ(decode(bad_version).error(), Error::bad_version);
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
