#include "codec/http_request.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "codec/http_response.hpp"

using namespace cairn::codec;

namespace {

constexpr std::string_view kRequest =
    "GET /announce?info_hash=%01&port=1 HTTP/1.1\r\n"
    "Host: tracker.example\r\n"
    "User-Agent: test/1.0\r\n"
    "X-Forwarded-For: 10.0.0.1, 10.0.0.2\r\n"
    "X-Real-IP:\t192.0.2.7 \r\n"
    "\r\n";

int error_of(std::string_view buffer, const HttpLimits& limits = {}) {
  auto p = parse_http_request(buffer, limits);
  EXPECT_EQ(p.status, HttpParseStatus::error) << buffer;
  return p.error_status;
}

HttpRequest complete(std::string_view buffer) {
  auto p = parse_http_request(buffer);
  EXPECT_EQ(p.status, HttpParseStatus::complete) << buffer;
  return p.request;
}

std::string with_header(std::string_view version, std::string_view header) {
  std::string s = "GET / HTTP/";
  s.append(version).append("\r\n").append(header);
  if (!header.empty()) s.append("\r\n");
  return s.append("\r\n");
}

}  // namespace

TEST(HttpRequest, ParsesAFullHead) {
  std::string buffer(kRequest);
  buffer += "GET /next HTTP/1.1\r\n";  // pipelined bytes stay unread
  auto p = parse_http_request(buffer);
  ASSERT_EQ(p.status, HttpParseStatus::complete);
  const auto& r = p.request;
  EXPECT_EQ(r.method, HttpMethod::get);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.target, "/announce?info_hash=%01&port=1");
  EXPECT_EQ(r.path, "/announce");
  EXPECT_EQ(r.query, "info_hash=%01&port=1");
  EXPECT_EQ(r.version_minor, 1);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.x_forwarded_for, "10.0.0.1, 10.0.0.2");
  EXPECT_EQ(r.x_real_ip, "192.0.2.7");
  EXPECT_EQ(r.head_size, kRequest.size());
}

TEST(HttpRequest, BareLfAndNoQuery) {
  auto r = complete("GET /scrape HTTP/1.0\nx-real-ip: ::1\n\n");
  EXPECT_EQ(r.path, "/scrape");
  EXPECT_EQ(r.query, "");
  EXPECT_EQ(r.version_minor, 0);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(r.x_real_ip, "::1");
  EXPECT_EQ(r.head_size, 37u);
  EXPECT_EQ(complete("GET /a? HTTP/1.1\r\n\r\n").query, "");
}

TEST(HttpRequest, SkipsLeadingEmptyLines) {
  auto r = complete("\r\n\nGET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(r.head_size, 21u);
}

TEST(HttpRequest, KeepAliveRules) {
  EXPECT_TRUE(complete(with_header("1.1", "")).keep_alive);
  EXPECT_FALSE(complete(with_header("1.1", "Connection: close")).keep_alive);
  EXPECT_FALSE(complete(with_header("1.1", "connection: Keep-Alive, CLOSE")).keep_alive);
  EXPECT_TRUE(complete(with_header("1.1", "Connection: keep-alive, Upgrade")).keep_alive);
  EXPECT_FALSE(complete(with_header("1.0", "")).keep_alive);
  EXPECT_TRUE(complete(with_header("1.0", "Connection: keep-alive")).keep_alive);
  EXPECT_TRUE(complete(with_header("1.0", "Connection: Upgrade ,\tKeep-Alive")).keep_alive);
  EXPECT_FALSE(complete(with_header("1.0", "Connection: keep-alive, close")).keep_alive);
  EXPECT_FALSE(complete(with_header("1.0", "Connection: keep-alivex")).keep_alive);
}

TEST(HttpRequest, UpgradeHeaders) {
  const std::string both =
      with_header("1.1", "Connection: keep-alive, Upgrade\r\nUpgrade: websocket");
  auto r = complete(both);
  EXPECT_TRUE(r.connection_upgrade);
  EXPECT_EQ(r.upgrade, "websocket");
  EXPECT_TRUE(r.keep_alive);
  const std::string upgrade_only = with_header("1.1", "upgrade: test-echo");
  r = complete(upgrade_only);  // no "Connection: upgrade"
  EXPECT_FALSE(r.connection_upgrade);
  EXPECT_EQ(r.upgrade, "test-echo");
  r = complete(kRequest);
  EXPECT_FALSE(r.connection_upgrade);
  EXPECT_EQ(r.upgrade, "");
}

TEST(HttpRequest, Versions) {
  EXPECT_EQ(complete(with_header("1.9", "")).version_minor, 1);  // RFC 9112 2.3
  EXPECT_EQ(error_of(with_header("2.0", "")), 505);
  EXPECT_EQ(error_of(with_header("0.9", "")), 505);
  EXPECT_EQ(error_of(with_header("1.10", "")), 400);
  EXPECT_EQ(error_of("GET / HTTP/1\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / http/1.1\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/2\r\n\r\n"), 505);
  EXPECT_EQ(error_of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505);  // HTTP/2 prior-knowledge preface
  EXPECT_EQ(error_of("GET / HTTP/1.\r\n\r\n"), 400);
}

TEST(HttpRequest, Methods) {
  EXPECT_EQ(complete("POST /v1/x HTTP/1.1\r\n\r\n").method, HttpMethod::post);
  EXPECT_EQ(complete("DELETE /v1/x HTTP/1.1\r\n\r\n").method, HttpMethod::delete_);
  auto head = complete("HEAD /health HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.method, HttpMethod::head);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_TRUE(is_get_or_head(HttpMethod::head) && is_get_or_head(HttpMethod::get));
  EXPECT_FALSE(is_get_or_head(HttpMethod::post) || is_get_or_head(HttpMethod::other));
  // Any other token is routed (405 with the path's Allow, or 404), and the
  // connection closes after it. Methods are case-sensitive: "get" is not GET.
  for (std::string_view other :
       {"get /announce HTTP/1.1\r\n\r\n", "PUT / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab",
        "OPTIONS / HTTP/1.1\r\n\r\n"}) {
    auto r = complete(other);
    EXPECT_EQ(r.method, HttpMethod::other) << other;
    EXPECT_FALSE(r.keep_alive) << other;
  }
  EXPECT_EQ(complete("PUT / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab").body, "ab");
}

TEST(HttpRequest, BodyByContentLength) {
  constexpr std::string_view head =
      "POST /v1/topics/t/records HTTP/1.1\r\nContent-Length: 7\r\n\r\n";
  std::string buffer = std::string(head) + "{\"a\":1}GET / HTTP/1.1\r\n\r\n";
  auto r = complete(buffer);
  EXPECT_EQ(r.body, "{\"a\":1}");
  EXPECT_EQ(r.head_size, head.size() + 7);  // the next request starts after the body
  EXPECT_EQ(complete(std::string_view(buffer).substr(r.head_size)).method, HttpMethod::get);
  // Bytes that look like a head inside a body are body.
  auto tricky = complete("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n\r\n\r\n");
  EXPECT_EQ(tricky.body, "\r\n\r\n");
  EXPECT_EQ(complete(with_header("1.1", "Content-Length: 0")).body, "");
  EXPECT_EQ(complete(with_header("1.1", "Content-Length: 000")).head_size, 39u);
  // A GET may carry a body too; the tracker ignores it, but it is consumed.
  EXPECT_EQ(complete("GET / HTTP/1.1\r\nContent-Length: 2\r\n\r\nxy").body, "xy");
}

TEST(HttpRequest, BodyAtEverySplitPoint) {
  constexpr std::string_view full =
      "POST /v1/topics/t/records HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n\r\n{\"id\": "
      "\"00\"}\n";
  for (std::size_t n = 0; n < full.size(); ++n)
    EXPECT_EQ(parse_http_request(full.substr(0, n)).status, HttpParseStatus::incomplete) << n;
  auto r = complete(full);
  EXPECT_EQ(r.body, "{\"id\": \"00\"}\n");
  EXPECT_EQ(r.head_size, full.size());
}

TEST(HttpRequest, ContentLengthRules) {
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length: 0\r\nContent-Length: 0")),
            400);  // any repeat
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length: 0\r\nContent-Length: 1")), 400);
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length: 1, 1")), 400);
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length: -1")), 400);
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length: +1")), 400);
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length: 1x")), 400);
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length:")), 400);
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length: 0x10")), 400);
  EXPECT_EQ(error_of(with_header("1.1", "Transfer-Encoding: chunked")), 411);
  EXPECT_EQ(error_of(with_header("1.1", "transfer-encoding: gzip, chunked")), 411);
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length: 1\r\nTransfer-Encoding: chunked")), 411);
}

TEST(HttpRequest, BodyLimit413) {
  HttpLimits limits;
  limits.max_body = 10;
  std::string at_limit = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n" + std::string(10, 'b');
  auto p = parse_http_request(at_limit, limits);
  ASSERT_EQ(p.status, HttpParseStatus::complete);
  EXPECT_EQ(p.request.body.size(), 10u);
  // Refused from the header alone, before any body byte has arrived.
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits), 413);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nContent-Length: 0000000000000000000000011\r\n", limits),
            413);
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length: 99999999999999999999999999"), limits),
            413);
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length: 18446744073709551617")), 413);  // 2^64 + 1
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length: 8193")), 413);  // the default
  limits.max_body = 0;
  EXPECT_EQ(parse_http_request(with_header("1.1", "Content-Length: 0"), limits).status,
            HttpParseStatus::complete);
  EXPECT_EQ(error_of(with_header("1.1", "Content-Length: 1"), limits), 413);
}

TEST(HttpRequest, BodyDoesNotCountAgainstTheHead) {
  HttpLimits limits;
  limits.max_head = 64;
  limits.max_body = 100;
  std::string head =
      "POST / HTTP/1.1\r\nContent-Length: 100\r\nA: " + std::string(64 - 41 - 4, 'x') + "\r\n\r\n";
  ASSERT_EQ(head.size(), 64u);
  auto p = parse_http_request(head + std::string(100, 'b'), limits);
  ASSERT_EQ(p.status, HttpParseStatus::complete);
  EXPECT_EQ(p.request.head_size, 164u);
  EXPECT_EQ(parse_http_request(head + std::string(99, 'b'), limits).status,
            HttpParseStatus::incomplete);
}

TEST(HttpRequest, MalformedIs400) {
  for (std::string_view bad : {
           "GET  / HTTP/1.1\r\n\r\n",               // double space
           "GET / HTTP/1.1 \r\n\r\n",               // trailing space
           "GET /a b HTTP/1.1\r\n\r\n",             // space in target
           "GET http://x/ HTTP/1.1\r\n\r\n",        // absolute-form
           "GET\r\n\r\n",                           // no target
           "G(T / HTTP/1.1\r\n\r\n",                // bad method token
           "GET /\x01 HTTP/1.1\r\n\r\n",            // control byte in target
           "GET / HTTP/1.1\r\nNoColon\r\n\r\n",     // header without colon
           "GET / HTTP/1.1\r\nName : v\r\n\r\n",    // space before colon
           "GET / HTTP/1.1\r\n: v\r\n\r\n",         // empty name
           "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",  // obs-fold
           "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",     // bare CR in value
           "GET / HTTP/1.1\r\nA: \x7f\r\n\r\n",     // DEL in value
       })
    EXPECT_EQ(error_of(bad), 400) << bad;
}

TEST(HttpRequest, RequestLineLimit414) {
  HttpLimits limits;
  limits.max_request_line = 40;
  std::string line = "GET /" + std::string(40 - 14, 'a') + " HTTP/1.1";  // exactly 40
  ASSERT_EQ(line.size(), 40u);
  EXPECT_EQ(parse_http_request(line + "\r\n\r\n", limits).status, HttpParseStatus::complete);
  EXPECT_EQ(parse_http_request(line + "\r", limits).status, HttpParseStatus::incomplete);
  std::string longer = "GET /" + std::string(27, 'a') + " HTTP/1.1";
  EXPECT_EQ(error_of(longer + "\r\n\r\n", limits), 414);
  EXPECT_EQ(error_of(longer, limits), 414);  // no need to wait for the line end
}

TEST(HttpRequest, TooLongLineShowsItsPathWhenItCan) {
  HttpLimits limits;
  limits.max_request_line = 40;
  const std::string tail(60, 'a');
  const std::string scrape_line = "GET /scrape?info_hash=" + tail;  // views point into it
  auto scrape = parse_http_request(scrape_line, limits);
  EXPECT_EQ(scrape.error_status, 414);
  EXPECT_EQ(scrape.request.path, "/scrape");
  EXPECT_EQ(scrape.request.method, HttpMethod::get);
  const std::string head_line = "HEAD /announce " + tail + "\r\n\r\n";
  auto head = parse_http_request(head_line, limits);
  EXPECT_EQ(head.request.path, "/announce");
  EXPECT_EQ(head.request.method, HttpMethod::head);
  // A path cut off by the limit, or no target at all: nothing to show.
  EXPECT_EQ(parse_http_request("GET /" + tail, limits).request.path, "");
  EXPECT_EQ(parse_http_request(tail, limits).request.path, "");
}

TEST(HttpRequest, DefaultLimitsTakeTheLargestScrape) {
  // 100 hashes, every byte percent-encoded: what a client may send at most.
  std::string request = "GET /scrape?";
  for (int i = 0; i < 100; ++i) {
    request.append(i == 0 ? "info_hash=" : "&info_hash=");
    for (int b = 0; b < 20; ++b) request.append("%AB");
  }
  request.append(" HTTP/1.1");
  EXPECT_EQ(request.size(), 7120u);
  request.append("\r\nHost: tracker.example:6969\r\nX-Forwarded-For: ");
  request.append(2000, '1');  // room for a proxy's headers
  request.append("\r\n\r\n");
  EXPECT_EQ(parse_http_request(request).status, HttpParseStatus::complete);
}

TEST(HttpRequest, HeadLimit431) {
  HttpLimits limits;
  limits.max_head = 64;
  std::string head = "GET / HTTP/1.1\r\nA: " + std::string(64 - 16 - 3 - 4, 'x') + "\r\n\r\n";
  ASSERT_EQ(head.size(), 64u);
  EXPECT_EQ(parse_http_request(head, limits).status, HttpParseStatus::complete);
  std::string over = "GET / HTTP/1.1\r\nA: " + std::string(64 - 16 - 3 - 3, 'x') + "\r\n\r\n";
  EXPECT_EQ(error_of(over, limits), 431);
  // Slowloris: a head that has not ended by the limit is refused, not buffered.
  std::string open = "GET / HTTP/1.1\r\n" + std::string(48, 'x');
  EXPECT_EQ(error_of(open, limits), 431);
  EXPECT_EQ(parse_http_request(open.substr(0, 63), limits).status, HttpParseStatus::incomplete);
  EXPECT_EQ(error_of(std::string(10'000, '\n'), limits), 431);
}

TEST(HttpRequest, HeaderCountLimit431) {
  HttpLimits limits;
  limits.max_headers = 3;
  EXPECT_EQ(parse_http_request("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits).status,
            HttpParseStatus::complete);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits), 431);
}

TEST(HttpRequest, EveryTruncationIsIncomplete) {
  for (std::string_view full : {kRequest, std::string_view("GET / HTTP/1.0\n\n")}) {
    for (std::size_t n = 0; n < full.size(); ++n) {
      auto p = parse_http_request(full.substr(0, n));
      EXPECT_EQ(p.status, HttpParseStatus::incomplete) << n;
    }
    EXPECT_EQ(parse_http_request(full).status, HttpParseStatus::complete);
  }
}

TEST(HttpRequest, RandomGarbageNeverCrashes) {
  std::mt19937 rng(42);
  HttpLimits small;
  small.max_request_line = 50;
  small.max_head = 120;
  small.max_headers = 4;
  small.max_body = 20;
  const char alphabet[] = "GET POST /?: HTTP/1.\r\n\r\nContent-Length01Connection,close";
  for (int i = 0; i < 5000; ++i) {
    std::string buf(rng() % 301, '\0');
    bool structured = i % 2 == 0;
    for (auto& c : buf)
      c = structured ? alphabet[rng() % (sizeof alphabet - 1)] : static_cast<char>(rng());
    auto p = parse_http_request(buf, i % 3 == 0 ? small : HttpLimits{});
    if (p.status == HttpParseStatus::complete) {
      EXPECT_LE(p.request.head_size, buf.size());
    }
  }
}

TEST(HttpRequest, MutationsNeverCrash) {
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string m(kRequest);
    for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k)
      m[rng() % m.size()] = static_cast<char>(rng());
    m.resize(rng() % (m.size() + 1));
    auto p = parse_http_request(m);
    if (p.status == HttpParseStatus::complete) {
      EXPECT_LE(p.request.head_size, m.size());
    }
  }
}

TEST(HttpResponse, Framing) {
  std::string out = "prefix|";
  write_http_response(out, 200, "text/plain", "d8:intervali60ee", true);
  EXPECT_EQ(out,
            "prefix|HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 16\r\n"
            "Connection: keep-alive\r\n\r\nd8:intervali60ee");
  out.clear();
  write_http_response(out, 431, "text/plain", "", false);
  EXPECT_EQ(out,
            "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n");
}

// Every optional header at once, in their fixed order; a HEAD answer
// keeps the length and drops the body; a status out of range reads as 500.
TEST(HttpResponse, EveryHeader) {
  HttpResponse r;
  r.status = 429;
  r.content_type = "text/plain";
  r.body = "slow";
  r.keep_alive = false;
  r.allow = "GET, HEAD";
  r.content_encoding = "gzip";
  r.retry_after = 30;
  std::string out = "x";
  write_http_response(out, r);
  EXPECT_EQ(out,
            "xHTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n"
            "Allow: GET, HEAD\r\nContent-Encoding: gzip\r\nRetry-After: 30\r\n"
            "Connection: close\r\n\r\nslow");
  r = HttpResponse{};
  r.status = 1000;
  r.body = "body";
  r.head_only = true;
  out.clear();
  write_http_response(out, r);
  EXPECT_EQ(out,
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: \r\nContent-Length: 4\r\n"
            "Connection: keep-alive\r\n\r\n");
}

// A head of the usual size is built on the stack, a longer one in place in
// the output (content types and headers are the caller's: any length); a
// 200 of another content type is written out piece by piece.
TEST(HttpResponse, HeadsOfAnySize) {
  for (std::size_t n : {0u, 60u, 200u, 256u, 1000u}) {
    HttpResponse r;
    const std::string type = "application/" + std::string(n, 'x');
    r.content_type = type;
    r.body = "b";
    std::string out = "x";
    write_http_response(out, r);
    EXPECT_EQ(out, "xHTTP/1.1 200 OK\r\nContent-Type: " + type +
                       "\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nb")
        << n;
  }
}

// The 200 text/plain shortcut writes what the general writer writes, for
// keep-alive or not, GET or HEAD, bodies of every length class.
TEST(HttpResponse, PlainOkIsTheGeneralWritersBytes) {
  for (bool keep_alive : {true, false})
    for (HttpMethod method : {HttpMethod::get, HttpMethod::head, HttpMethod::post})
      for (std::size_t size : {0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 123456}) {
        HttpRequest request;
        request.keep_alive = keep_alive;
        request.method = method;
        const std::string body(size, 'b');
        auto response = HttpResponse::to(request, 200, "text/plain");
        response.body = body;
        std::string expected = "before", out = "before";
        write_http_response(expected, response);
        write_plain_ok(out, request, body);
        EXPECT_EQ(out, expected) << keep_alive << " " << size;
      }
}

TEST(HttpResponse, Reasons) {
  EXPECT_EQ(http_reason(400), "Bad Request");
  EXPECT_EQ(http_reason(404), "Not Found");
  EXPECT_EQ(http_reason(405), "Method Not Allowed");
  EXPECT_EQ(http_reason(413), "Content Too Large");
  EXPECT_EQ(http_reason(414), "URI Too Long");
  EXPECT_EQ(http_reason(505), "HTTP Version Not Supported");
  EXPECT_EQ(http_reason(299), "Error");
}

TEST(HttpResponse, ParsedBackByTheHeadParserShape) {
  // The response head ends with one blank line, like a request head does.
  std::string out;
  write_http_response(out, 404, "text/plain", "x", true);
  EXPECT_EQ(out.find("\r\n\r\n") + 4, out.size() - 1);
}

// The target is checked eight bytes at a time; every byte value, at every
// place in a word and in the tail after the last whole word, must be judged
// as the rule says: visible ASCII (0x21-0x7E) only.
// Header values are checked eight bytes at a time, the last word
// overlapping; every byte value, at every place of values shorter than a
// word, one word, and longer, must be judged as the rule says: visible
// bytes, space, tab and obs-text (0x80 and up) only.
TEST(HttpRequest, EveryHeaderValueByteIsJudgedWherever) {
  for (const std::string value : {"abcdefg", "abcdefgh", "abcdefghi", "0123456789abcdefg"}) {
    for (std::size_t at = 0; at < value.size(); ++at) {
      for (int b = 0; b < 256; ++b) {
        if (b == '\r' || b == '\n') continue;  // these end the line instead
        std::string v = value;
        v[at] = static_cast<char>(b);
        const std::string head = "GET /a HTTP/1.1\r\nX-Any: " + v + "\r\n\r\n";
        const auto p = parse_http_request(head);
        const bool field = (b >= 0x20 && b != 0x7f) || b == '\t';
        ASSERT_EQ(p.status, field ? HttpParseStatus::complete : HttpParseStatus::error)
            << "byte " << b << " at " << at << " of " << value.size();
        if (!field) {
          ASSERT_EQ(p.error_status, 400) << "byte " << b << " at " << at;
        }
      }
    }
  }
}

TEST(HttpRequest, EveryTargetByteIsJudgedWherever) {
  const std::string path = "/announce?info_hash=%01%02&port=1";  // 33 bytes: 4 words, 1 tail byte
  for (std::size_t at = 1; at < path.size(); ++at) {
    for (int b = 0; b < 256; ++b) {
      if (b == ' ' || b == '\r' || b == '\n') continue;  // these end the target or line instead
      std::string target = path;
      target[at] = static_cast<char>(b);
      const std::string head = "GET " + target + " HTTP/1.1\r\nHost: t\r\n\r\n";
      const auto p = parse_http_request(head);
      const bool visible = b > 0x20 && b < 0x7f;
      ASSERT_EQ(p.status, visible ? HttpParseStatus::complete : HttpParseStatus::error)
          << "byte " << b << " at " << at;
      if (!visible) {
        ASSERT_EQ(p.error_status, 400) << "byte " << b << " at " << at;
      }
    }
  }
}

// A header line is read in one pass (its value checked 16 bytes a turn as
// its end is sought) unless a byte sends it to the general reader: both
// must judge every line alike, at every position of the odd byte.
TEST(HttpRequest, HeaderValuesJudgedAtEveryPosition) {
  for (std::size_t size = 0; size < 40; ++size) {
    const std::string value(size, 'v');
    for (std::string_view eol : {"\r\n", "\n"}) {
      auto plain = "GET / HTTP/1.1\r\nX-Real-IP: " + value + std::string(eol) + "\r\n";
      EXPECT_EQ(complete(plain).x_real_ip, value) << size;
    }
    for (std::size_t at = 0; at < size; ++at) {
      for (char odd : {'\t', '\x01', '\x7f', '\r', '\x80'}) {
        std::string v = value;
        v[at] = odd;
        const auto head = "GET / HTTP/1.1\r\nX-Real-IP: " + v + "\r\nHost: h\r\n\r\n";
        if (odd == '\t' || odd == '\x80') {  // allowed: a tab, obs-text
          std::string_view expected = v;     // a tab at either end is whitespace
          while (!expected.empty() && expected.front() == '\t') expected.remove_prefix(1);
          while (!expected.empty() && expected.back() == '\t') expected.remove_suffix(1);
          EXPECT_EQ(complete(head).x_real_ip, expected) << at;
        } else {
          EXPECT_EQ(error_of(head), 400) << size << " " << at << " " << int(odd);
        }
      }
    }
  }
  EXPECT_EQ(complete("GET / HTTP/1.1\r\nX-Real-IP:   1.2.3.4  \r\n\r\n").x_real_ip, "1.2.3.4");
  EXPECT_EQ(parse_http_request("GET / HTTP/1.1\r\nX-Real-IP: 1.2.3.4").status,
            HttpParseStatus::incomplete);
  EXPECT_EQ(parse_http_request("GET / HTTP/1.1\r\nX-Real-IP: 1.2.3.4\r").status,
            HttpParseStatus::incomplete);
}
