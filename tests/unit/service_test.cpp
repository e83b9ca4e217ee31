// The service pieces of the server layer: the summary line's figures (read
// by name from the metrics registry), the json log line, and the keys a
// SIGHUP reload finds changed.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "server/config.hpp"
#include "server/log_format.hpp"
#include "server/server.hpp"
#include "server/summary.hpp"

namespace cairn::server {
namespace {

TEST(Summary, EveryFigureIsReadFromARegisteredRow) {
  Config c;
  c.listen = {*core::Endpoint::parse("127.0.0.1:0")};
  c.workers = 1;
  Server server(c);  // not started: its registry is complete at construction
  std::set<std::string> names;
  for (const auto& row : server.metrics().rows()) names.insert(row.name);
  for (auto name : summary_row_names()) EXPECT_TRUE(names.count(std::string(name))) << name;
}

TEST(Summary, LineGivesTheIntervalAndTheTotals) {
  SummaryFigures before{100, 2, 0, 0, 0}, now{400, 5, 7, 30, 12};
  EXPECT_EQ(summary_line(now, before, 300),
            "summary: 300 requests in the last 300 s (1.0/s; 400 in all), 7 torrents, 30 peers "
            "(12 seeders), 3 errors in the last 300 s (5 in all)");
}

TEST(LogFormat, JsonLineEscapesTheMessage) {
  EXPECT_EQ(json_log_line("2026-12-07T01:02:03.456Z", "info", "cairn", "a \"b\"\\\n\t\x01 é"),
            "{\"time\":\"2026-12-07T01:02:03.456Z\",\"level\":\"info\",\"logger\":\"cairn\","
            "\"message\":\"a \\\"b\\\"\\\\\\n\\t\\u0001 é\"}");
  EXPECT_EQ(parse_log_format("json"), LogFormat::json);
  EXPECT_EQ(parse_log_format("text"), LogFormat::text);
  EXPECT_FALSE(parse_log_format("JSON"));
}

TEST(ChangedKeys, NamesEachKeyThatDiffers) {
  Config a, b;
  EXPECT_TRUE(changed_keys(a, b).empty());
  b.log_level = "debug";
  b.policy.announce_interval = 600;
  b.full_scrape = false;
  EXPECT_EQ(changed_keys(a, b),
            (std::vector<std::string>{"server.log_level", "tracker.announce_interval",
                                      "tracker.full_scrape"}));
}

}  // namespace
}  // namespace cairn::server
