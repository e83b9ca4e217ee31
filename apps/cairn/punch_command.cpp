#include "punch_command.hpp"

#include <chrono>
#include <cstdio>
#include <optional>

#include "client/client.hpp"
#include "client/punch.hpp"
#include "command_line.hpp"

namespace cairn::app {

namespace {

using Clock = std::chrono::steady_clock;
using client::Millis;

// Both sides register a record saying they punch, so a look-up finds them.
constexpr std::string_view kProtocol = "cairn-punch";
constexpr auto kLookupEvery = std::chrono::milliseconds(500);
constexpr auto kWaitForOffer = std::chrono::milliseconds(2000);
constexpr auto kResendEvery = std::chrono::milliseconds(100);
constexpr auto kLinger = std::chrono::milliseconds(500);

struct Failure {
  std::string reason;
};

Millis left(Clock::time_point deadline) {
  return std::max(Millis(0), std::chrono::duration_cast<Millis>(deadline - Clock::now()));
}

bool punches(const client::FoundPeer& p, const core::RecordId& own) {
  if (!p.record || p.record->id == own) return false;
  const auto& protocols = p.record->record.protocols;
  return std::find(protocols.begin(), protocols.end(), kProtocol) != protocols.end();
}

// The freshest other peer that punches, if the topic holds one.
std::optional<core::RecordId> find_peer(client::Client& c) {
  auto found = c.lookup();
  const client::FoundPeer* best = nullptr;
  for (const auto& p : found.peers)
    if (punches(p, c.record_id()) && (!best || p.record->last_seen < best->record->last_seen))
      best = &p;
  if (!best) return std::nullopt;
  return best->record->id;
}

// Until a look-up finds the other peer, or it calls us first. Of two peers
// that see each other, the one with the smaller record id connects; the
// other stops looking up and waits for the offer (up to kWaitForOffer, in
// case the first is gone), so it answers at once rather than after a
// look-up in flight, and the tracker's round-trip measure stays true.
client::DirectPath meet(client::Client& c, client::PunchSocket& socket,
                        client::PunchOptions options, Clock::time_point deadline) {
  std::optional<Clock::time_point> connect_after;
  std::optional<core::RecordId> peer;
  for (;;) {
    options.timeout = left(deadline);
    if (options.timeout.count() == 0) throw Failure{"no other peer showed up under the topic"};
    auto called = socket.service(std::min<Millis>(options.timeout, kLookupEvery));
    if (!called) throw Failure{called.error().message};
    if (!*called && !peer) {
      peer = find_peer(c);
      if (peer && c.record_id() > *peer) connect_after = Clock::now() + kWaitForOffer;
    }
    if (!*called && (!peer || (connect_after && Clock::now() < *connect_after))) continue;
    options.timeout = left(deadline);
    auto path = *called ? socket.accept_path(options) : socket.open_path(*peer, options);
    if (!path) throw Failure{path.error().message};
    return std::move(*path);
  }
}

// Sends ours until the peer's arrives, then lingers a little to answer its
// resends (ours may have been lost). Returns the peer's.
std::string exchange(client::DirectPath& path, const std::string& message,
                     Clock::time_point deadline) {
  std::span<const std::uint8_t> ours(reinterpret_cast<const std::uint8_t*>(message.data()),
                                     message.size());
  std::optional<std::string> theirs;
  auto linger_until = Clock::time_point::max();
  while (Clock::now() < std::min(deadline, linger_until)) {
    if (auto sent = path.send(ours); !sent) throw Failure{sent.error().message};
    auto got = path.receive(std::min<Millis>(kResendEvery, left(deadline)));
    if (!got) throw Failure{got.error().message};
    if (*got && !theirs) {
      theirs.emplace((*got)->begin(), (*got)->end());
      linger_until = Clock::now() + kLinger;
    }
  }
  if (!theirs) throw Failure{"the path opened, but no datagram came back over it"};
  return *theirs;
}

}  // namespace

PunchCommand::PunchCommand(CLI::App& parent) {
  command_ = parent.add_subcommand(
      "punch",
      "Find the other peer under a topic and open a direct UDP path to it (hole punching)");
  command_->add_option("--tracker", tracker_, "The tracker: udp://HOST:PORT")->required();
  auto* subject = command_->add_option_group("subject", "Where to meet")->require_option(1);
  subject->add_option("--topic", topic_, "A rendezvous topic: 40 hex digits");
  subject->add_option("--secret", secret_,
                      "A shared secret: the topic, the sealed record and the probes' key are "
                      "derived from it, so the tracker sees only the two public addresses");
  command_->add_option("--timeout", timeout_s_, "Seconds for the whole run")
      ->check(CLI::Range(1u, 600u))
      ->capture_default_str();
  command_->add_option("--message", message_, "The datagram to send over the path")
      ->capture_default_str();
  command_->footer(
      "Prints `direct IP:PORT` (the other peer's public address) once a datagram went each way "
      "over the direct path, `relayed via HOST:PORT` when only the tracker's relay (nat.relay) "
      "joined the two, or `no direct path: REASON`.\n"
      "Exit codes:\n"
      "  0  a direct (or relayed) path carried a datagram each way\n"
      "  1  no path within the timeout (the reason is printed)\n"
      "  2  a command-line error (nothing was sent)");
}

int PunchCommand::run() const {
  return run_reporting_usage("punch", [this] { return punch(); });
}

int PunchCommand::punch() const {
  auto url = client::TrackerUrl::parse(tracker_);
  if (!url || url->scheme != client::TrackerUrl::Scheme::udp)
    throw UsageError("--tracker " + tracker_ + ": need udp://HOST:PORT");
  client::Subject subject;
  if (!secret_.empty()) {
    subject = client::Subject::for_secret(secret_);
  } else {
    auto t = core::TopicId::from_hex(topic_);
    if (!t) throw UsageError("--topic " + topic_ + ": need 40 hex digits");
    subject = client::Subject::for_topic(*t);
  }
  if (message_.empty() || message_.size() > codec::punch::kMaxPayload)
    throw UsageError("--message: need 1 to 1200 bytes");

  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s_);
  client::Client c({{*url}}, subject, {});
  client::Presence presence;
  presence.meta.protocols = {std::string(kProtocol)};
  presence.ttl = 120;
  try {
    auto socket = client::PunchSocket::open(*url, Millis(1000));
    if (!socket) throw Failure{socket.error().message};
    auto registered = c.announce(0, presence);
    if (!registered.ok()) throw Failure{registered.failure()};
    auto session = (*socket)->keep(subject.topic, c.record_id());
    if (!session) throw Failure{session.error().message};
    std::fprintf(stderr, "cairn punch: the tracker sees this socket at %s\n",
                 session->observed.to_string().c_str());
    client::PunchOptions options;
    if (subject.sealed) options.secret_key = subject.sealed->key;
    auto path = meet(c, **socket, options, deadline);
    auto theirs = exchange(path, message_, deadline);
    const auto& s = path.stats();
    std::fprintf(stderr,
                 "cairn punch: path after %lld ms, attempt %d, %d probes, tracker rtt %lld ms; "
                 "received \"%s\"\n",
                 static_cast<long long>(s.elapsed.count()), s.attempts, s.probes_sent,
                 static_cast<long long>(s.rtt.count()), theirs.c_str());
    if (path.relayed())
      std::printf("relayed via %s\n", path.relay()->to_string().c_str());
    else
      std::printf("direct %s\n", path.peer().to_string().c_str());
    c.withdraw(0, presence);
    return 0;
  } catch (const Failure& f) {
    std::printf("no direct path: %s\n", f.reason.c_str());
    c.withdraw(0, presence);
    return kExitFailed;
  }
}

}  // namespace cairn::app
