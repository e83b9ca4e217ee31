#include "codec/resp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::codec::resp {
namespace {

struct One {
  Parsed parsed;
  std::vector<Node> nodes;
  Reply reply(std::string_view buffer) const { return {nodes.data(), buffer}; }
};

One parse_one(std::string_view in, const Limits& limits = {}) {
  One r;
  r.parsed = parse(in, 0, r.nodes, limits);
  return r;
}

ParseError invalid(std::string_view in, const Limits& limits = {}) {
  const One r = parse_one(in, limits);
  EXPECT_EQ(r.parsed.status, Status::invalid) << in;
  EXPECT_TRUE(r.nodes.empty());
  return r.parsed.error;
}

TEST(RespWrite, CommandsAreArraysOfBulkStrings) {
  std::string out;
  write_command(out, {"SET", "k", std::string_view("a\0b", 3)});
  EXPECT_EQ(out, std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\0b\r\n", 29));
  out.clear();
  write_array_header(out, 2);
  write_bulk(out, std::int64_t{-42});
  write_bulk(out, std::string_view());
  EXPECT_EQ(out, "*2\r\n$3\r\n-42\r\n$0\r\n\r\n");
}

// Short arguments are composed on the stack, long ones appended: both
// sides of the limit, and far past it, come out the same way.
TEST(RespWrite, BulkStringsOfEveryLengthRoundTrip) {
  for (std::size_t n : {1u, 127u, 128u, 129u, 4096u}) {
    std::string value(n, 'x');
    value.front() = '\0';
    value.back() = 'y';
    std::string out = "prefix";
    write_bulk(out, value);
    EXPECT_EQ(out, "prefix$" + std::to_string(n) + "\r\n" + value + "\r\n") << n;
  }
}

TEST(RespParse, Scalars) {
  const std::string in = "+OK\r\n";
  One r = parse_one(in);
  ASSERT_EQ(r.parsed.status, Status::complete);
  EXPECT_EQ(r.parsed.end, in.size());
  EXPECT_EQ(r.reply(in).type(), Type::simple);
  EXPECT_EQ(r.reply(in).text(), "OK");

  const std::string err = "-MOVED 3999 127.0.0.1:6381\r\n";
  r = parse_one(err);
  EXPECT_TRUE(r.reply(err).is_error());
  EXPECT_EQ(r.reply(err).text(), "MOVED 3999 127.0.0.1:6381");

  const std::string num = ":-9223372036854775808\r\n";
  r = parse_one(num);
  EXPECT_EQ(r.reply(num).type(), Type::integer);
  EXPECT_EQ(r.reply(num).integer(), INT64_MIN);

  const std::string bulk = std::string("$5\r\na\r\n\0z\r\n", 12);
  r = parse_one(bulk);
  ASSERT_EQ(r.parsed.status, Status::complete);
  EXPECT_EQ(r.reply(bulk).type(), Type::bulk);
  EXPECT_EQ(r.reply(bulk).text(), std::string_view("a\r\n\0z", 5));

  for (std::string_view null : {"$-1\r\n", "*-1\r\n", "_\r\n"}) {
    r = parse_one(null);
    ASSERT_EQ(r.parsed.status, Status::complete) << null;
    EXPECT_TRUE(r.reply(null).is_null()) << null;
  }
}

TEST(RespParse, Resp3Scalars) {
  const std::string in = "#t\r\n";
  EXPECT_EQ(parse_one(in).reply(in).integer(), 1);
  const std::string d = ",3.25\r\n";
  EXPECT_EQ(parse_one(d).reply(d).text(), "3.25");
  EXPECT_EQ(parse_one(d).reply(d).type(), Type::double_);
  const std::string big = "(-3492890328409238509324850943850943825024385\r\n";
  EXPECT_EQ(parse_one(big).reply(big).type(), Type::big_number);
  const std::string verbatim = "=15\r\ntxt:Some string\r\n";
  EXPECT_EQ(parse_one(verbatim).reply(verbatim).text(), "Some string");
  EXPECT_EQ(parse_one(verbatim).reply(verbatim).type(), Type::bulk);
  const std::string blob_error = "!21\r\nSYNTAX invalid syntax\r\n";
  EXPECT_TRUE(parse_one(blob_error).reply(blob_error).is_error());
  EXPECT_EQ(parse_one(blob_error).reply(blob_error).text(), "SYNTAX invalid syntax");
}

TEST(RespParse, NestedAggregatesAreWalkable) {
  const std::string in =
      "*4\r\n:1\r\n*2\r\n$1\r\na\r\n*0\r\n%2\r\n+k1\r\n:7\r\n+k2\r\n~1\r\n$1\r\nz\r\n$1\r\nb\r\n";
  One r = parse_one(in);
  ASSERT_EQ(r.parsed.status, Status::complete);
  EXPECT_EQ(r.parsed.end, in.size());
  const Reply top = r.reply(in);
  ASSERT_EQ(top.size(), 4u);
  EXPECT_EQ(top.at(0).integer(), 1);
  EXPECT_EQ(top.at(1).size(), 2u);
  EXPECT_EQ(top.at(1).at(0).text(), "a");
  EXPECT_EQ(top.at(1).at(1).size(), 0u);
  EXPECT_EQ(top.at(2).type(), Type::map);
  EXPECT_EQ(top.at(2).size(), 4u);
  EXPECT_EQ(top.at(2).at(3).at(0).text(), "z");
  EXPECT_EQ(top.at(3).text(), "b");
  std::vector<Type> types;
  for (Reply child : top) types.push_back(child.type());
  EXPECT_EQ(types, (std::vector{Type::integer, Type::array, Type::map, Type::bulk}));
  EXPECT_EQ(r.nodes.size(), 12u);
}

TEST(RespParse, AttributesAreDropped) {
  const std::string in = "|1\r\n+ttl\r\n:3\r\n*2\r\n|0\r\n:1\r\n|1\r\n+a\r\n*1\r\n:0\r\n:2\r\n";
  One r = parse_one(in);
  ASSERT_EQ(r.parsed.status, Status::complete);
  EXPECT_EQ(r.parsed.end, in.size());
  const Reply top = r.reply(in);
  ASSERT_EQ(top.type(), Type::array);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top.at(0).integer(), 1);
  EXPECT_EQ(top.at(1).integer(), 2);
  EXPECT_EQ(r.nodes.size(), 3u);
}

TEST(RespParse, PipelinedRepliesReadOneAfterAnother) {
  std::string in = "+OK\r\n:5\r\n*1\r\n$2\r\nhi\r\n";
  std::vector<Node> nodes;
  std::vector<std::size_t> roots;
  std::size_t at = 0;
  while (at < in.size()) {
    roots.push_back(nodes.size());
    const Parsed p = parse(in, at, nodes);
    ASSERT_EQ(p.status, Status::complete);
    at = p.end;
  }
  ASSERT_EQ(roots.size(), 3u);
  // Offsets, not pointers: the text survives the buffer moving.
  in.append(1000, 'x');
  in.shrink_to_fit();
  EXPECT_EQ(Reply(&nodes[roots[0]], in).text(), "OK");
  EXPECT_EQ(Reply(&nodes[roots[1]], in).integer(), 5);
  EXPECT_EQ(Reply(&nodes[roots[2]], in).at(0).text(), "hi");
}

// Every prefix of a valid reply is incomplete and leaves the nodes alone;
// only the whole is complete.
TEST(RespParse, EveryTruncationIsIncomplete) {
  const std::vector<std::string> replies = {
      "+OK\r\n",
      "-ERR x\r\n",
      ":123\r\n",
      "$3\r\nabc\r\n",
      "$0\r\n\r\n",
      "$-1\r\n",
      "*-1\r\n",
      "*3\r\n:1\r\n*1\r\n$2\r\nab\r\n+c\r\n",
      "%1\r\n+k\r\n*2\r\n#f\r\n_\r\n",
      "|1\r\n+a\r\n+b\r\n:9\r\n",
      "=8\r\ntxt:abcd\r\n",
      "!3\r\nbad\r\n",
      ",1.5\r\n",
      "(12\r\n",
      ">2\r\n+message\r\n$1\r\nx\r\n",
  };
  for (const std::string& whole : replies) {
    for (std::size_t n = 0; n < whole.size(); ++n) {
      std::vector<Node> nodes(2);  // what the caller already had
      const Parsed p = parse(std::string_view(whole).substr(0, n), 0, nodes);
      EXPECT_EQ(p.status, Status::incomplete) << whole << " cut at " << n;
      EXPECT_EQ(nodes.size(), 2u);
    }
    std::vector<Node> nodes;
    const Parsed p = parse(whole, 0, nodes);
    EXPECT_EQ(p.status, Status::complete) << whole;
    EXPECT_EQ(p.end, whole.size()) << whole;
  }
}

TEST(RespParse, MalformedInputIsInvalid) {
  EXPECT_EQ(invalid("?\r\n"), ParseError::bad_type);
  EXPECT_EQ(invalid(";4\r\n"), ParseError::bad_type);
  EXPECT_EQ(invalid(":12a\r\n"), ParseError::bad_integer);
  EXPECT_EQ(invalid(":+1\r\n"), ParseError::bad_integer);
  EXPECT_EQ(invalid(":\r\n"), ParseError::bad_integer);
  EXPECT_EQ(invalid(":9223372036854775808\r\n"), ParseError::bad_integer);
  EXPECT_EQ(invalid("#x\r\n"), ParseError::bad_integer);
  EXPECT_EQ(invalid("(1.5\r\n"), ParseError::bad_integer);
  EXPECT_EQ(invalid(",\r\n"), ParseError::bad_integer);
  EXPECT_EQ(invalid("$-2\r\n"), ParseError::bad_length);
  EXPECT_EQ(invalid("$x\r\n"), ParseError::bad_length);
  EXPECT_EQ(invalid("*-5\r\n"), ParseError::bad_length);
  EXPECT_EQ(invalid("%-1\r\n"), ParseError::bad_length);
  EXPECT_EQ(invalid("!-1\r\n"), ParseError::bad_length);
  EXPECT_EQ(invalid("=2\r\nab\r\n"), ParseError::bad_length);  // no "txt:"
  EXPECT_EQ(invalid("$3\r\nabcd\r\n"), ParseError::bad_terminator);
  EXPECT_EQ(invalid("+O\rK\r\n"), ParseError::bad_terminator);
  EXPECT_EQ(invalid("+O\nK\r\n"), ParseError::bad_terminator);
  EXPECT_EQ(invalid("_x\r\n"), ParseError::bad_terminator);
  EXPECT_EQ(invalid("$?\r\n"), ParseError::unsupported);
  EXPECT_EQ(invalid("*?\r\n"), ParseError::unsupported);
  // An error deep inside leaves nothing behind either.
  EXPECT_EQ(invalid("*2\r\n*1\r\n:1\r\n:x\r\n"), ParseError::bad_integer);
}

TEST(RespParse, LimitsHold) {
  Limits limits;
  limits.max_depth = 2;
  limits.max_elements = 4;
  limits.max_string = 8;
  limits.max_aggregate = 3;
  EXPECT_EQ(parse_one("*1\r\n*1\r\n:1\r\n", limits).parsed.status, Status::complete);
  EXPECT_EQ(invalid("*1\r\n*1\r\n*1\r\n:1\r\n", limits), ParseError::too_deep);
  EXPECT_EQ(invalid("*3\r\n*2\r\n:1\r\n:2\r\n:3\r\n", limits), ParseError::too_many_elements);
  EXPECT_EQ(invalid("*4\r\n", limits), ParseError::aggregate_too_large);
  EXPECT_EQ(invalid("%2\r\n", limits), ParseError::aggregate_too_large);  // four children
  EXPECT_EQ(invalid("$9\r\n", limits), ParseError::string_too_long);
  EXPECT_EQ(invalid("+123456789\r\n", limits), ParseError::string_too_long);
  // A line with no end in sight past the limit is not waited for.
  EXPECT_EQ(invalid("+123456789", limits), ParseError::string_too_long);
  EXPECT_EQ(invalid(":" + std::string(30, '1')), ParseError::string_too_long);
  EXPECT_EQ(invalid("*" + std::string(30, '1')), ParseError::string_too_long);
  // Within the limits, huge counts are still refused rather than reserved.
  EXPECT_EQ(invalid("*99999999999\r\n"), ParseError::aggregate_too_large);
  EXPECT_EQ(invalid("$99999999999\r\n"), ParseError::string_too_long);
}

TEST(RespParse, StartsAtTheGivenOffset) {
  const std::string in = "garbage+OK\r\n";
  std::vector<Node> nodes;
  const Parsed p = parse(in, 7, nodes);
  ASSERT_EQ(p.status, Status::complete);
  EXPECT_EQ(p.end, in.size());
  EXPECT_EQ(Reply(nodes.data(), in).text(), "OK");
}

}  // namespace
}  // namespace cairn::codec::resp
