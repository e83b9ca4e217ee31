#include "client/transport.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>

#include "client/tls_client.hpp"
#include "codec/http_reply.hpp"
#include "codec/udp_tracker.hpp"

namespace cairn::client {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxAnswer = 1 << 20;  // an HTTP answer larger than this is not a tracker's
constexpr auto kConnectionIdLife = std::chrono::seconds(60);  // BEP 15, client side

struct AddrInfoDeleter {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};
using AddrInfo = std::unique_ptr<addrinfo, AddrInfoDeleter>;

Result<AddrInfo> resolve(const TrackerUrl& url, int socktype) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  if (int rc = getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return Error{url.text + ": cannot resolve " + url.host + ": " + gai_strerror(rc)};
  return AddrInfo(found);
}

int left_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits until `fd` is ready for `events` or the deadline passes.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = poll(&p, 1, left_ms(deadline));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

class Socket {
 public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// A connected non-blocking socket to the first address that takes one.
Result<int> connect_any(const TrackerUrl& url, int socktype, Clock::time_point deadline) {
  auto addresses = resolve(url, socktype);
  if (!addresses) return addresses.error();
  std::string why = "no address";
  for (const addrinfo* a = addresses->get(); a != nullptr; a = a->ai_next) {
    Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (s.get() < 0) continue;
    if (::connect(s.get(), a->ai_addr, a->ai_addrlen) == 0) return s.release();
    if (errno != EINPROGRESS) {
      why = std::strerror(errno);
      continue;
    }
    int error = 0;
    socklen_t len = sizeof error;
    if (!wait_for(s.get(), POLLOUT, deadline)) {
      why = "timed out";
      continue;
    }
    getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &error, &len);
    if (error == 0) return s.release();
    why = std::strerror(error);
  }
  return Error{url.text + ": cannot connect: " + why};
}

bool send_all(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EAGAIN) {
      if (!wait_for(fd, POLLOUT, deadline)) return false;
    } else if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

std::string http_request_text(const TrackerUrl& url, std::string_view method,
                              std::string_view target, std::string_view body) {
  std::string out;
  out.append(method).append(" ").append(target.empty() ? "/" : target).append(" HTTP/1.1\r\n");
  const bool v6 = url.host.find(':') != std::string::npos;
  out.append("Host: ").append(v6 ? "[" + url.host + "]" : url.host);
  out.append(":").append(std::to_string(url.port)).append("\r\n");
  out.append("User-Agent: cairn\r\nConnection: close\r\n");
  if (!body.empty()) {
    out.append("Content-Type: application/json\r\nContent-Length: ");
    out.append(std::to_string(body.size())).append("\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

// One read of the answer: bytes (0 at the end of the stream), or why not.
using Receive = std::function<Result<std::size_t>(char* into, std::size_t size)>;

Receive plain_receive(int fd, const TrackerUrl& url, Clock::time_point deadline) {
  return [fd, &url, deadline](char* into, std::size_t size) -> Result<std::size_t> {
    for (;;) {
      const ssize_t n = ::recv(fd, into, size, 0);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return Error{url.text + ": " + std::strerror(errno)};
      if (!wait_for(fd, POLLIN, deadline)) return Error{url.text + ": no answer in time"};
    }
  };
}

Receive tls_receive(TlsStream& tls, const TrackerUrl& url, Clock::time_point deadline) {
  return [&tls, &url, deadline](char* into, std::size_t size) -> Result<std::size_t> {
    const long n = tls.receive(into, size, deadline);
    if (n < 0) return Error{url.text + ": no answer in time, or the TLS connection failed"};
    return static_cast<std::size_t>(n);
  };
}

// Reads until the answer is framed (Content-Length) or the server closes.
Result<HttpAnswer> read_answer(const Receive& receive, const TrackerUrl& url) {
  std::string in;
  codec::HttpReplyHead head;
  for (;;) {
    char buffer[16384];
    auto got = receive(buffer, sizeof buffer);
    if (!got) return got.error();
    const std::size_t n = *got;
    in.append(buffer, n);
    if (in.size() > kMaxAnswer) return answered_with(url.text + ": answer too large");
    const auto status = codec::parse_http_reply_head(in, head);
    if (status == codec::ReplyHeadStatus::error)
      return answered_with(url.text + ": not an HTTP answer");
    const bool eof = n == 0;
    if (status == codec::ReplyHeadStatus::complete &&
        (eof || (head.has_length && in.size() >= head.head_size + head.content_length))) {
      auto body = in.substr(head.head_size);
      if (head.has_length) {
        if (body.size() < head.content_length)
          return answered_with(url.text + ": answer cut short");
        body.resize(head.content_length);
      }
      return HttpAnswer{head.status, std::move(body)};
    }
    if (eof) return Error{url.text + ": connection closed before an answer"};
  }
}

std::uint32_t random_u32() {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
  return randombytes_random();
}

}  // namespace

Result<HttpAnswer> http_exchange(const TrackerUrl& url, std::string_view method,
                                 std::string_view target, std::string_view body, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  auto fd = connect_any(url, SOCK_STREAM, deadline);
  if (!fd) return fd.error();
  Socket s(*fd);
  const std::string request = http_request_text(url, method, target, body);
  if (url.scheme == TrackerUrl::Scheme::https) {
    auto tls = TlsStream::open(s.get(), url.host, url.text, deadline);
    if (!tls) return tls.error();
    if (!(*tls)->send_all(request, deadline))
      return Error{url.text + ": could not send the request"};
    return read_answer(tls_receive(**tls, url, deadline), url);
  }
  if (!send_all(s.get(), request, deadline))
    return Error{url.text + ": could not send the request"};
  return read_answer(plain_receive(s.get(), url, deadline), url);
}

UdpSession::~UdpSession() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> UdpSession::open() {
  if (fd_ >= 0) return {};
  auto fd = connect_any(url_, SOCK_DGRAM, Clock::now() + std::chrono::seconds(5));
  if (!fd) return fd.error();
  fd_ = *fd;
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  ipv6_ =
      getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &len) == 0 && peer.ss_family == AF_INET6;
  return {};
}

Result<std::vector<std::uint8_t>> UdpSession::send_and_wait(std::span<const std::uint8_t> request,
                                                            std::uint32_t transaction_id,
                                                            Millis timeout, int tries) {
  std::array<std::uint8_t, 2048> in;
  for (int attempt = 0; attempt < tries; ++attempt) {
    if (::send(fd_, request.data(), request.size(), 0) < 0)
      return Error{url_.text + ": " + std::strerror(errno)};
    const auto deadline = Clock::now() + timeout;
    while (wait_for(fd_, POLLIN, deadline)) {
      const ssize_t n = ::recv(fd_, in.data(), in.size(), 0);
      if (n < 8) continue;  // not an answer (or an ICMP error: keep waiting)
      std::uint32_t t = std::uint32_t{in[4]} << 24 | in[5] << 16 | in[6] << 8 | in[7];
      if (t == transaction_id) return std::vector<std::uint8_t>(in.begin(), in.begin() + n);
    }
  }
  return Error{url_.text + ": no answer after " + std::to_string(tries) + " tries"};
}

Result<void> UdpSession::connect(Millis timeout, int tries) {
  std::array<std::uint8_t, 16> request;
  const std::uint32_t txid = random_u32();
  codec::udp::encode_connect_request(txid, request);
  auto answer = send_and_wait(request, txid, timeout, tries);
  if (!answer) return answer.error();
  // The family only matters to announce answers.
  auto parsed = codec::udp::parse_response(*answer, core::Family::v4);
  if (!parsed || !std::holds_alternative<codec::udp::ConnectResponse>(*parsed))
    return answered_with(url_.text + ": bad answer to connect");
  connection_id_ = std::get<codec::udp::ConnectResponse>(*parsed).connection_id;
  connected_at_ = Clock::now();
  return {};
}

Result<std::vector<std::uint8_t>> UdpSession::exchange(const Build& build, Millis timeout,
                                                       int tries) {
  if (auto opened = open(); !opened) return opened.error();
  for (int round = 0; round < 2; ++round) {
    if (connected_at_ == Clock::time_point{} || Clock::now() - connected_at_ > kConnectionIdLife)
      if (auto c = connect(timeout, tries); !c) return c.error();
    std::array<std::uint8_t, 2048> request;
    const std::uint32_t txid = random_u32();
    const std::size_t size = build(connection_id_, txid, request);
    if (size == 0) return Error{url_.text + ": request too large"};
    auto answer = send_and_wait(std::span(request.data(), size), txid, timeout, tries);
    if (!answer) return answer;
    // BEP 15 error "invalid connection id": the tracker restarted or our id
    // aged out; connect again once.
    auto parsed = codec::udp::parse_response(*answer, core::Family::v4);
    const auto* error = parsed ? std::get_if<codec::udp::ErrorResponse>(&*parsed) : nullptr;
    if (error == nullptr || error->message != "invalid connection id") return answer;
    connected_at_ = {};
  }
  return answered_with(url_.text + ": the tracker keeps refusing our connection id");
}

}  // namespace cairn::client
