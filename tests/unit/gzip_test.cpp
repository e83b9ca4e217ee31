// codec/gzip.hpp: the full scrape's compression and the Accept-Encoding
// reader.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "codec/gzip.hpp"

namespace cairn::codec {
namespace {

std::string gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);  // gzip only
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - z.avail_out);
  EXPECT_EQ(z.avail_in, 0u);  // one member, nothing after it
  inflateEnd(&z);
  return out;
}

TEST(Gzip, RoundTripsEmptySmallAndLargeBodies) {
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "d8:completei" + std::to_string(i) + "ee";
  for (const std::string& body : {std::string(), std::string("d5:filesdee"), big}) {
    const std::string z = gzip(body);
    ASSERT_GE(z.size(), 18u);  // header and trailer
    EXPECT_EQ(static_cast<unsigned char>(z[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(z[1]), 0x8b);
    EXPECT_EQ(gunzip(z), body);
  }
  EXPECT_LT(gzip(big).size(), big.size() / 4);
}

TEST(AcceptsGzip, ReadsCodingsAndQValues) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("GZIP"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip(" br ;q=1.0 , gzip ; q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("br, deflate"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;Q=0.000"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(
      accepts_gzip("gzip;q=0, *"));  // refused by name: the wildcard does not bring it back
  EXPECT_FALSE(accepts_gzip("gzipped"));
  EXPECT_FALSE(accepts_gzip(",,;;=="));
}

}  // namespace
}  // namespace cairn::codec
