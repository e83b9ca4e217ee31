#pragma once
// Talking to one tracker: an HTTP exchange (one connection per request,
// Connection: close, so nothing is kept between re-announces minutes apart)
// and a BEP 15 UDP session (a connected socket and a connection id, kept
// for a minute as BEP 15 allows). Blocking, with deadlines: the client runs
// each tier on a thread of its own.
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/error.hpp"
#include "client/tracker_url.hpp"

namespace cairn::client {

using Millis = std::chrono::milliseconds;

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// `target` is the path and query; `body` goes with a JSON content type when
// not empty. The whole exchange (resolve, connect, send, read) has `timeout`.
Result<HttpAnswer> http_exchange(const TrackerUrl& url, std::string_view method,
                                 std::string_view target, std::string_view body, Millis timeout);

class UdpSession {
 public:
  explicit UdpSession(TrackerUrl url) : url_(std::move(url)) {}
  ~UdpSession();
  UdpSession(const UdpSession&) = delete;
  UdpSession& operator=(const UdpSession&) = delete;

  // Writes one request into `out` for the connection id and transaction id
  // given; returns its size.
  using Build = std::function<std::size_t(std::uint64_t connection_id, std::uint32_t transaction_id,
                                          std::span<std::uint8_t> out)>;
  // Connects (BEP 15) if the id is missing or a minute old, sends the
  // request, and returns the first answer with its transaction id. Each try
  // waits `timeout`; a tracker that forgot our connection id gets one
  // reconnect.
  Result<std::vector<std::uint8_t>> exchange(const Build& build, Millis timeout, int tries);

  const TrackerUrl& url() const { return url_; }
  // Of the socket, once open: a BEP 15 answer's peers have its address size.
  bool ipv6() const { return ipv6_; }

 private:
  Result<void> open();
  Result<std::vector<std::uint8_t>> send_and_wait(std::span<const std::uint8_t> request,
                                                  std::uint32_t transaction_id, Millis timeout,
                                                  int tries);
  Result<void> connect(Millis timeout, int tries);

  TrackerUrl url_;
  int fd_ = -1;
  bool ipv6_ = false;
  std::uint64_t connection_id_ = 0;
  std::chrono::steady_clock::time_point connected_at_{};
};

}  // namespace cairn::client
