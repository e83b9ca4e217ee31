// The attempt engine behind PunchSocket::open_path and accept_path: one
// thread, one socket, a loop of "send what is due, then wait for the next
// datagram or the next deadline". Phases of one attempt:
//   connecting  connect to the tracker every 300 ms until an offer comes
//   readying    ready every 250 ms until the sync (or an error) comes
//   delayed     the sync's delay, so both sides start together
//   probing     probes every probe_interval for probe_window; the first
//               authenticated probe from the peer (answered with an ack),
//               or the peer's ack of one of ours, opens the path
// A window that ends without an ack starts the next attempt, up to
// options.attempts; after the last one, the tracker's relay if it offers
// one, else "no direct path".
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "client/punch_socket.hpp"
#include "client/udp_endpoint.hpp"

namespace cairn::client {

namespace punch = codec::punch;
using namespace std::chrono_literals;

namespace {

enum class Phase : std::uint8_t { waiting_offer, connecting, readying, delayed, probing };

// What a tracker's error code means to the person who asked.
std::string explain(std::string_view code) {
  if (code == "not_found")
    return "the peer keeps no session at the tracker (gone, or never opened one)";
  if (code == "not_responding") return "the peer did not answer the tracker's offer (gone?)";
  if (code == "refused") return "the peer refused";
  if (code == "no_session") return "the tracker holds no session for this socket (expired?)";
  if (code == "busy") return "the peer is busy with other attempts; try again";
  if (code == "too_many_attempts")
    return "the tracker's limit of attempts per minute was reached; try again later";
  if (code == "family_mismatch") return "the peer's session is of the other address family";
  if (code == "self") return "that record is this socket's own";
  return "the tracker refused: " + std::string(code);
}

std::string seconds_text(Millis ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms.count()) / 1000);
  return text;
}

class Engine {
 public:
  Engine(PunchSocket::Impl& s, std::optional<core::RecordId> want, const PunchOptions& o)
      : s_(s), want_(std::move(want)), o_(o) {}

  Result<DirectPath> run() {
    if (!s_.session) return Error{"open a session first (PunchSocket::keep)"};
    begin();
    while (!done_ && !failure_) {
      const auto now = PunchClock::now();
      if (now >= deadline_) {
        failure_ = "timed out after " + seconds_text(o_.timeout) + " " + waiting_for();
        break;
      }
      tick(now);
      if (done_ || failure_) break;
      if (auto d = s_.receive(wake())) on_datagram(*d);
    }
    if (failure_) return Error{*failure_};
    return std::move(*done_);
  }

 private:
  punch::Role me() const { return offer_ ? offer_->role : punch::Role::requester; }

  void begin() {
    auto it = std::find_if(s_.offers.begin(), s_.offers.end(),
                           [&](const punch::Offer& o) { return !want_ || o.peer_id == *want_; });
    if (it != s_.offers.end()) {
      auto o = *it;
      s_.offers.erase(it);
      take_offer(o);
    } else if (want_) {
      start_connect();
    } else {
      phase_ = Phase::waiting_offer;
    }
  }

  std::string waiting_for() const {
    switch (phase_) {
      case Phase::waiting_offer:
        return "waiting for an offer";
      case Phase::connecting:
        return "waiting for the tracker's offer";
      case Phase::readying:
        return "waiting for the peer to answer the tracker";
      default:
        return "while probing";
    }
  }

  PunchClock::time_point wake() const {
    auto t = std::min(deadline_, s_.next_keepalive);
    if (phase_ != Phase::waiting_offer) t = std::min(t, next_);
    if (phase_ == Phase::probing) t = std::min(t, probe_end_);
    return t;
  }

  void start_connect() {
    connect_txid_ = random_txid();
    phase_ = Phase::connecting;
    next_ = PunchClock::now();
  }

  // An offer for the peer we want (any peer, when accepting, until one is
  // taken) starts or joins an attempt; one for another peer is refused.
  void take_offer(const punch::Offer& o) {
    if ((want_ && o.peer_id != *want_) || (offer_ && o.peer_id != offer_->peer_id))
      return refuse(o);
    if (offer_ && offer_->attempt == o.attempt) {
      if (phase_ == Phase::connecting) phase_ = Phase::readying, next_ = PunchClock::now();
      return;
    }
    if (std::find(past_.begin(), past_.end(), o.attempt) != past_.end()) return;  // a late one
    if (offer_) past_.push_back(offer_->attempt);
    offer_ = o;
    key_ = punch::peer_key(o.token, o_.secret_key ? std::span<const std::uint8_t>(*o_.secret_key)
                                                  : std::span<const std::uint8_t>{});
    ++attempts_;
    ready_txid_ = random_txid();
    heard_.reset();
    phase_ = Phase::readying;
    next_ = PunchClock::now();
  }

  void refuse(const punch::Offer& o) {
    send_request(punch::ReadyRequest{s_.header(random_txid()), o.attempt, o.token, true});
  }

  void send_request(const punch::Request& r) {
    if (!s_.ensure_connection_id()) return;  // the next round tries again
    std::array<std::uint8_t, 1500> out;
    punch::Request with = r;
    std::visit([&](auto& x) { x.header.connection_id = s_.connection_id; }, with);
    std::size_t n = punch::encode_request(with, out);
    (void)s_.send_to(s_.tracker, std::span(out.data(), n));
  }

  void tick(PunchClock::time_point now) {
    s_.keepalive_if_due();
    if (phase_ == Phase::waiting_offer || now < std::min(next_, probe_end_with_phase())) return;
    switch (phase_) {
      case Phase::connecting:
        send_request(punch::ConnectRequest{s_.header(connect_txid_), s_.session->first,
                                           want_ ? *want_ : offer_->peer_id});
        next_ = now + 300ms;
        break;
      case Phase::readying:
        send_request(
            punch::ReadyRequest{s_.header(ready_txid_), offer_->attempt, offer_->token, false});
        next_ = now + 250ms;
        break;
      case Phase::delayed:
        phase_ = Phase::probing;
        round_ = 0;
        probe_end_ = now + o_.probe_window;
        next_ = now;
        break;
      case Phase::probing:
        if (now >= probe_end_) return end_window();
        send_probes();
        next_ = now + o_.probe_interval;
        break;
      case Phase::waiting_offer:
        break;
    }
  }

  PunchClock::time_point probe_end_with_phase() const {
    return phase_ == Phase::probing ? probe_end_ : PunchClock::time_point::max();
  }

  void end_window() {
    if (attempts_ < o_.attempts) return start_connect();
    if (offer_->relay && o_.relay) return finish(offer_->peer, s_.tracker);
    failure_ = "no probe got through in " + std::to_string(attempts_) +
               (attempts_ == 1 ? " attempt" : " attempts") +
               ": both NATs seem to map ports per destination" +
               (offer_->relay ? "" : ", and the tracker offers no relay");
  }

  // The peer's observed endpoint and where its probes came from every
  // round; the predicted ports every fifth.
  void send_probes() {
    std::vector<core::Endpoint> to;
    if (heard_) to.push_back(*heard_);
    if (!heard_ || *heard_ != offer_->peer) to.push_back(offer_->peer);
    if (round_ % 5 == 0)
      for (int i = 1; i <= o_.predicted_ports && offer_->peer.port + i <= 0xffff; ++i)
        to.push_back({offer_->peer.address, static_cast<std::uint16_t>(offer_->peer.port + i)});
    for (const auto& e : to) send_peer(punch::PeerType::probe, e, {});
    ++round_;
  }

  void send_peer(punch::PeerType type, const core::Endpoint& to,
                 std::span<const std::uint8_t> payload) {
    std::array<std::uint8_t, 1500> out;
    punch::PeerMessage m{type, me(), offer_->attempt, static_cast<std::uint16_t>(round_), payload};
    std::size_t n = punch::encode_peer_message(m, key_, out);
    if (n > 0 && s_.send_to(to, std::span(out.data(), n)) && type == punch::PeerType::probe)
      ++probes_;
  }

  void on_datagram(const Datagram& d) {
    if (d.from == s_.tracker) return on_tracker(d);
    if (!offer_) return;
    auto m = punch::parse_peer_message(d.bytes, key_);
    if (!m || m->attempt != offer_->attempt || m->sender == me()) return;
    switch (m->type) {
      case punch::PeerType::probe:
        // The peer's probe got through its NAT to us, so that NAT holds a
        // mapping toward our address and lets our answers in: the path is
        // open on this side now. Waiting for an ack of one of our own
        // probes instead would cost a round trip whenever ours reached the
        // peer's NAT before its first probe left it (and were dropped).
        // The ack confirms the path to the peer; if it is lost, the
        // DirectPath answers the peer's next probe.
        heard_ = d.from;
        send_peer(punch::PeerType::ack, d.from, {});
        finish(d.from, std::nullopt);
        break;
      case punch::PeerType::data:
        inbox_.emplace_back(m->payload.begin(), m->payload.end());
        [[fallthrough]];
      case punch::PeerType::ack:
        finish(d.from, std::nullopt);
        break;
    }
  }

  void on_tracker(const Datagram& d) {
    auto answer = punch::parse_answer(d.bytes);
    if (!answer) return;
    if (auto* o = std::get_if<punch::Offer>(&*answer)) {
      take_offer(*o);
    } else if (auto* sync = std::get_if<punch::Sync>(&*answer)) {
      if (!offer_ || sync->attempt != offer_->attempt || phase_ != Phase::readying) return;
      rtt_ = Millis(sync->rtt_ms);
      phase_ = Phase::delayed;
      next_ = PunchClock::now() + Millis(sync->delay_ms);
    } else if (auto* r = std::get_if<punch::Relayed>(&*answer)) {
      if (!offer_ || r->attempt != offer_->attempt) return;
      auto m = punch::parse_peer_message(r->payload, key_);
      if (!m || m->type != punch::PeerType::data || m->sender == me()) return;
      inbox_.emplace_back(m->payload.begin(), m->payload.end());
      finish(offer_->peer, s_.tracker);  // the peer chose the relay
    } else if (auto* e = std::get_if<codec::udp::ErrorResponse>(&*answer)) {
      on_error(*e);
    } else {
      s_.note(d);
    }
  }

  void on_error(const codec::udp::ErrorResponse& e) {
    bool mine = (phase_ == Phase::connecting && e.transaction_id == connect_txid_) ||
                (phase_ == Phase::readying && e.transaction_id == ready_txid_);
    if (!mine) return;
    if (e.message == "invalid connection id") {
      s_.connected_at = {};  // connect again before the next send
    } else if (e.message == "unknown_attempt" && attempts_ < o_.attempts) {
      start_connect();
    } else {
      failure_ = explain(e.message);
    }
  }

  void finish(const core::Endpoint& peer, std::optional<core::Endpoint> relay) {
    const core::Endpoint& far = relay ? *relay : peer;
    sockaddr_storage ss;
    socklen_t len = sockaddr_of(far, s_.family, ss);
    ::connect(s_.fd, reinterpret_cast<sockaddr*>(&ss),
              len);  // only the peer (or relay) from now on
    PathStats stats{std::chrono::duration_cast<Millis>(PunchClock::now() - start_), attempts_, rtt_,
                    probes_};
    done_.emplace(std::exchange(s_.fd, -1), peer, relay, *offer_, key_, stats, std::move(inbox_),
                  s_.connection_id);
  }

  PunchSocket::Impl& s_;
  std::optional<core::RecordId> want_;
  const PunchOptions& o_;
  const PunchClock::time_point start_ = PunchClock::now();
  const PunchClock::time_point deadline_ = start_ + o_.timeout;
  Phase phase_ = Phase::connecting;
  std::optional<punch::Offer> offer_;
  std::vector<std::uint64_t> past_;  // attempts given up: their late offers are ignored
  punch::PeerKey key_{};
  std::uint32_t connect_txid_ = 0, ready_txid_ = 0;
  PunchClock::time_point next_{}, probe_end_{};
  int round_ = 0, attempts_ = 0, probes_ = 0;
  Millis rtt_{0};
  std::optional<core::Endpoint> heard_;
  std::deque<std::vector<std::uint8_t>> inbox_;
  std::optional<std::string> failure_;
  std::optional<DirectPath> done_;
};

}  // namespace

Result<DirectPath> run_attempts(PunchSocket::Impl& s, std::optional<core::RecordId> want,
                                const PunchOptions& options) {
  return Engine(s, std::move(want), options).run();
}

}  // namespace cairn::client
