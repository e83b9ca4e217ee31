#include <gtest/gtest.h>

#include "client/tracker_url.hpp"

using cairn::client::TrackerUrl;

TEST(TrackerUrl, Schemes) {
  auto h = TrackerUrl::parse("http://tracker.example:6969/announce");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->scheme, TrackerUrl::Scheme::http);
  EXPECT_EQ(h->host, "tracker.example");
  EXPECT_EQ(h->port, 6969);
  EXPECT_EQ(h->path, "/announce");
  auto u = TrackerUrl::parse("udp://[::1]:1337");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, TrackerUrl::Scheme::udp);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 1337);
  EXPECT_EQ(u->path, "");
  auto s = TrackerUrl::parse("https://t.example/x/announce?passkey=1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->port, 443);
  EXPECT_EQ(TrackerUrl::parse("http://t.example")->port, 80);
}

TEST(TrackerUrl, Errors) {
  for (auto bad : {"tracker.example:80", "ftp://x:1", "udp://x", "http://:80/", "http://x:0/",
                   "http://x:65536/", "http://[::1/", "http://[::1]x/", "udp://x:12a"})
    EXPECT_FALSE(TrackerUrl::parse(bad)) << bad;
}

TEST(TrackerUrl, ApiBaseAndScrapePath) {
  EXPECT_EQ(TrackerUrl::parse("http://t:1/announce")->api_base(), "");
  EXPECT_EQ(TrackerUrl::parse("http://t:1/")->api_base(), "");
  EXPECT_EQ(TrackerUrl::parse("http://t:1")->api_base(), "");
  EXPECT_EQ(TrackerUrl::parse("http://t:1/bt/announce?k=1")->api_base(), "/bt");
  EXPECT_EQ(TrackerUrl::parse("http://t:1/bt/announce?k=1")->scrape_path(), "/bt/scrape?k=1");
  EXPECT_EQ(TrackerUrl::parse("http://t:1/x")->scrape_path(), "/x");
}
