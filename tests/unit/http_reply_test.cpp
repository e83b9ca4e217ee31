#include <gtest/gtest.h>

#include <string>

#include "codec/http_reply.hpp"

using namespace cairn::codec;

namespace {

HttpReplyHead parsed(std::string_view text) {
  HttpReplyHead head;
  EXPECT_EQ(parse_http_reply_head(text, head), ReplyHeadStatus::complete) << text;
  return head;
}

ReplyHeadStatus status_of(std::string_view text) {
  HttpReplyHead head;
  return parse_http_reply_head(text, head);
}

}  // namespace

TEST(HttpReply, KeepAliveWithLength) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n";
  auto head = parsed(text + "body follows");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.head_size, text.size());
  EXPECT_TRUE(head.has_length);
  EXPECT_EQ(head.content_length, 12u);
  EXPECT_FALSE(head.close);
}

TEST(HttpReply, CloseRules) {
  EXPECT_TRUE(parsed("HTTP/1.1 200 OK\r\nconnection: CLOSE\r\n\r\n").close);
  EXPECT_TRUE(parsed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").close);
  EXPECT_FALSE(parsed("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n").close);
  EXPECT_FALSE(parsed("HTTP/1.1 404 Not Found\r\n\r\n").has_length);
}

TEST(HttpReply, EveryPrefixIsIncomplete) {
  const std::string text = "HTTP/1.1 413 Content Too Large\r\nContent-Length: 3\r\n\r\n";
  for (std::size_t cut = 0; cut < text.size(); ++cut)
    EXPECT_EQ(status_of(text.substr(0, cut)), ReplyHeadStatus::incomplete) << cut;
  EXPECT_EQ(parsed(text).status, 413);
}

TEST(HttpReply, Errors) {
  EXPECT_EQ(status_of("HTTP/2 200 OK\r\n\r\n"), ReplyHeadStatus::error);
  EXPECT_EQ(status_of("HTTP/1.1 2x0 OK\r\n\r\n"), ReplyHeadStatus::error);
  // Found by fuzz/http_reply_fuzz.cpp: a sign is no digit.
  EXPECT_EQ(status_of("HTTP/1.0 -404\r\nContent-Length: 8\r\n\r\n"), ReplyHeadStatus::error);
  EXPECT_EQ(status_of("HTTP/1.1 +20 OK\r\n\r\n"), ReplyHeadStatus::error);
  EXPECT_EQ(status_of("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"), ReplyHeadStatus::error);
  EXPECT_EQ(status_of("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n"), ReplyHeadStatus::error);
  EXPECT_EQ(status_of(std::string(kMaxReplyHead + 1, 'x')), ReplyHeadStatus::error);
  // Found by fuzz/http_reply_fuzz.cpp: past the limit, a head is refused
  // even when its end has arrived in the same read.
  const std::string head = "HTTP/1.1 200 OK\r\nX: ";
  const std::string at_limit =
      head + std::string(kMaxReplyHead - head.size() - 4, 'x') + "\r\n\r\n";
  EXPECT_EQ(status_of(at_limit), ReplyHeadStatus::complete);
  EXPECT_EQ(status_of(head + std::string(kMaxReplyHead, 'x') + "\r\n\r\n"), ReplyHeadStatus::error);
}
