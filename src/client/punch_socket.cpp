#include "client/punch_socket.hpp"

#include <netdb.h>
#include <poll.h>
#include <sodium.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "client/udp_endpoint.hpp"
#include "codec/udp_tracker.hpp"

namespace cairn::client {

namespace punch = codec::punch;

namespace {
constexpr auto kConnectionIdLife = std::chrono::seconds(60);  // BEP 15, client side
constexpr int kTries = 3;
constexpr std::string_view kInvalidConnectionId = "invalid connection id";

Result<core::Endpoint> resolve(const TrackerUrl& url) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  if (int rc = getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return Error{url.text + ": cannot resolve " + url.host + ": " + gai_strerror(rc)};
  sockaddr_storage ss{};
  std::memcpy(&ss, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return endpoint_of(ss);
}
}  // namespace

std::uint32_t random_txid() { return randombytes_random(); }

PunchSocket::Impl::~Impl() {
  if (fd >= 0) ::close(fd);
}

Result<void> PunchSocket::Impl::send_to(const core::Endpoint& to,
                                        std::span<const std::uint8_t> bytes) const {
  sockaddr_storage ss;
  socklen_t len = sockaddr_of(to, family, ss);
  if (::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) < 0)
    return Error{"sending to " + to.to_string() + ": " + std::strerror(errno)};
  return {};
}

std::optional<Datagram> PunchSocket::Impl::receive(PunchClock::time_point deadline) const {
  std::array<std::uint8_t, 2048> buffer;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - PunchClock::now()).count();
    pollfd p{fd, POLLIN, 0};
    int n = poll(&p, 1, left > 0 ? static_cast<int>(left) : 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t got = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&from), &len);
    if (got < 0) continue;  // an ICMP error from an earlier probe, or a race
    return Datagram{endpoint_of(from), {buffer.begin(), buffer.begin() + got}};
  }
}

Result<void> PunchSocket::Impl::ensure_connection_id() {
  if (connected_at != PunchClock::time_point{} &&
      PunchClock::now() - connected_at < kConnectionIdLife)
    return {};
  std::array<std::uint8_t, 16> request;
  const std::uint32_t txid = random_txid();
  codec::udp::encode_connect_request(txid, request);
  for (int attempt = 0; attempt < kTries; ++attempt) {
    if (auto sent = send_to(tracker, request); !sent) return sent;
    const auto deadline = PunchClock::now() + timeout;
    while (auto d = receive(deadline)) {
      auto parsed = d->from == tracker
                        ? codec::udp::parse_response(d->bytes, tracker.family())
                        : core::Result<codec::udp::Response, codec::udp::ResponseError>(
                              codec::udp::ResponseError::truncated);
      auto* c = parsed ? std::get_if<codec::udp::ConnectResponse>(&*parsed) : nullptr;
      if (c && c->transaction_id == txid) {
        connection_id = c->connection_id;
        connected_at = PunchClock::now();
        return {};
      }
      note(*d);
    }
  }
  return Error{url.text + ": no answer to connect after " + std::to_string(kTries) + " tries"};
}

namespace {
std::uint32_t txid_of(const punch::Answer& a) {
  return std::visit(
      [](const auto& x) -> std::uint32_t {
        if constexpr (requires { x.transaction_id; })
          return x.transaction_id;
        else
          return 0;
      },
      a);
}

punch::Request with_header(punch::Request r, const punch::Header& h) {
  std::visit([&](auto& x) { x.header = h; }, r);
  return r;
}
}  // namespace

Result<punch::Answer> PunchSocket::Impl::exchange(const punch::Request& request) {
  for (int round = 0; round < 2; ++round) {
    if (auto c = ensure_connection_id(); !c) return c.error();
    const std::uint32_t txid = random_txid();
    std::array<std::uint8_t, 1500> out;
    std::size_t n = punch::encode_request(with_header(request, header(txid)), out);
    if (n == 0) return Error{"the request does not fit a datagram"};
    bool stale_id = false;
    for (int attempt = 0; attempt < kTries && !stale_id; ++attempt) {
      if (auto sent = send_to(tracker, std::span(out.data(), n)); !sent) return sent.error();
      const auto deadline = PunchClock::now() + timeout;
      while (auto d = receive(deadline)) {
        auto answer = d->from == tracker ? punch::parse_answer(d->bytes)
                                         : core::Result<punch::Answer, codec::udp::ResponseError>(
                                               codec::udp::ResponseError::truncated);
        if (!answer || txid_of(*answer) != txid || std::holds_alternative<punch::Offer>(*answer)) {
          note(*d);
          continue;
        }
        auto* e = std::get_if<codec::udp::ErrorResponse>(&*answer);
        if (e && e->message == kInvalidConnectionId) {
          connected_at = {};  // the tracker restarted, or our id aged: connect again
          stale_id = true;
          break;
        }
        return *answer;
      }
    }
    if (!stale_id) break;
  }
  return Error{url.text + ": no answer after " + std::to_string(kTries) + " tries"};
}

void PunchSocket::Impl::note(const Datagram& d) {
  if (d.from != tracker) return;  // a peer's late probe: nobody is listening for it now
  auto answer = punch::parse_answer(d.bytes);
  if (!answer) return;
  if (auto* s = std::get_if<punch::SessionAnswer>(&*answer)) {
    observed = s->observed;
    if (s->keepalive > 0) keepalive = std::chrono::seconds(s->keepalive);
  } else if (auto* o = std::get_if<punch::Offer>(&*answer)) {
    if (o->role == punch::Role::target && offers.size() < 8) offers.push_back(*o);
  }
}

void PunchSocket::Impl::keepalive_if_due() {
  if (!session || PunchClock::now() < next_keepalive) return;
  next_keepalive = PunchClock::now() + keepalive;
  if (!ensure_connection_id()) return;
  std::array<std::uint8_t, 128> out;
  std::size_t n = punch::encode_request(
      punch::SessionRequest{header(random_txid()), session->first, session->second, false}, out);
  (void)send_to(tracker, std::span(out.data(), n));
}

// --- PunchSocket ---

PunchSocket::PunchSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PunchSocket::~PunchSocket() = default;

Result<std::unique_ptr<PunchSocket>> PunchSocket::open(const TrackerUrl& url, Millis timeout) {
  if (url.scheme != TrackerUrl::Scheme::udp)
    return Error{url.text + ": hole punching needs a udp:// tracker"};
  auto tracker = resolve(url);
  if (!tracker) return tracker.error();
  auto impl = std::make_unique<Impl>();
  impl->url = url;
  impl->tracker = *tracker;
  impl->timeout = timeout;
  impl->family = tracker->family() == core::Family::v4 ? AF_INET : AF_INET6;
  impl->fd = ::socket(impl->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (impl->fd < 0) return Error{std::string("cannot open a UDP socket: ") + std::strerror(errno)};
  if (sodium_init() < 0) return Error{"libsodium failed to initialise"};
  return std::unique_ptr<PunchSocket>(new PunchSocket(std::move(impl)));
}

Result<punch::SessionAnswer> PunchSocket::keep(const core::TopicId& topic,
                                               const core::RecordId& id) {
  auto answer = impl_->exchange(punch::SessionRequest{{}, topic, id, false});
  if (!answer) return answer.error();
  if (auto* e = std::get_if<codec::udp::ErrorResponse>(&*answer))
    return answered_with(impl_->url.text + ": no session: " + std::string(e->message));
  auto* s = std::get_if<punch::SessionAnswer>(&*answer);
  if (!s) return answered_with(impl_->url.text + ": bad answer to session");
  impl_->session = {topic, id};
  impl_->observed = s->observed;
  impl_->keepalive = std::chrono::seconds(std::max<std::uint16_t>(s->keepalive, 1));
  impl_->next_keepalive = PunchClock::now() + impl_->keepalive;
  return *s;
}

Result<bool> PunchSocket::service(Millis wait) {
  const auto deadline = PunchClock::now() + wait;
  // Back as soon as an offer waits: the other side is already timing the
  // round trip to our ready.
  while (PunchClock::now() < deadline && impl_->offers.empty()) {
    impl_->keepalive_if_due();
    auto until = std::min(deadline, impl_->next_keepalive);
    while (impl_->offers.empty())
      if (auto d = impl_->receive(until))
        impl_->note(*d);
      else
        break;
  }
  return !impl_->offers.empty();
}

const std::optional<core::Endpoint>& PunchSocket::observed() const { return impl_->observed; }

void PunchSocket::close_session() {
  if (!impl_->session || impl_->fd < 0) return;
  std::array<std::uint8_t, 128> out;
  std::size_t n = punch::encode_request(
      punch::SessionRequest{impl_->header(random_txid()), impl_->session->first,
                            impl_->session->second, true},
      out);
  (void)impl_->send_to(impl_->tracker, std::span(out.data(), n));
  impl_->session.reset();
}

Result<DirectPath> PunchSocket::open_path(const core::RecordId& peer, const PunchOptions& options) {
  if (impl_->fd < 0) return Error{"the socket already went to a path"};
  return run_attempts(*impl_, peer, options);
}

Result<DirectPath> PunchSocket::accept_path(const PunchOptions& options) {
  if (impl_->fd < 0) return Error{"the socket already went to a path"};
  return run_attempts(*impl_, std::nullopt, options);
}

}  // namespace cairn::client
