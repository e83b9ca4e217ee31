#include "announce_command.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <stdexcept>

#include "client/bittorrent.hpp"
#include "client/presence_check.hpp"
#include "command_line.hpp"

namespace cairn::app {

namespace {

std::atomic<bool> stop_requested{false};

std::uint64_t bits_per_second(const std::string& key, const std::string& value) {
  std::size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(value, &used);
  } catch (const std::exception&) {
  }
  if (used == 0 || used != value.size())
    throw UsageError("--meta " + key + "=" + value + ": not a number (bits per second)");
  return v;
}

// --meta up=N / down=N (bits per second), protocol=NAME (repeatable, or
// protocols=a,b), anything else a tag.
void add_meta(const std::string& item, codec::rv::Record& r) {
  const auto eq = item.find('=');
  if (eq == std::string::npos || eq == 0) throw UsageError("--meta " + item + ": need KEY=VALUE");
  const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
  if (key == "up") {
    r.up_bps = bits_per_second(key, value);
  } else if (key == "down") {
    r.down_bps = bits_per_second(key, value);
  } else if (key == "protocol" || key == "protocols") {
    for (std::size_t start = 0; start < value.size();) {
      const auto comma = std::min(value.find(',', start), value.size());
      if (comma > start) r.protocols.push_back(value.substr(start, comma - start));
      start = comma + 1;
    }
  } else {
    r.tags.push_back({key, value});
  }
}

// Results on stdout, failures on stderr. --once does not come back, so it
// does not say when it would.
void print_outcome(const client::TierOutcome& o, bool withdrawing, bool once) {
  if (o.ok() && withdrawing) {
    std::printf("withdrawn from %s\n", o.tracker.c_str());
  } else if (o.ok() && once) {
    std::printf("announced to %s (tier %zu)\n", o.tracker.c_str(), o.tier + 1);
  } else if (o.ok()) {
    std::printf("announced to %s (tier %zu); again in %u s\n", o.tracker.c_str(), o.tier + 1,
                o.reannounce_after);
  } else {
    std::fprintf(stderr, "cairn announce: %s\n", o.failure().c_str());
  }
  std::fflush(stdout);
}

// The IP of a BitTorrent --addr is sent, but most trackers rightly ignore
// it (anyone could announce someone else): say so, once.
void note_client_ip(const std::string& address) {
  auto at = client::parse_bt_address(address);
  if (!at || !at->ip) return;
  std::fprintf(stderr,
               "cairn announce: note: %s is used only by trackers that trust addresses clients "
               "give (Cairn: tracker.allow_client_ip); the others announce you at the address "
               "they see\n",
               at->ip->to_string().c_str());
}

}  // namespace

AnnounceCommand::AnnounceCommand(CLI::App& parent) {
  command_ = parent.add_subcommand(
      "announce", "Announce this peer to trackers and keep it announced until Ctrl-C");
  client_.add_to(*command_);
  command_
      ->add_option("--addr", addresses_,
                   "How to reach this peer: IP:PORT, :PORT (the address trackers see), or a URL; "
                   "repeatable. With --info-hash: once, IP:PORT or :PORT; the IP is sent, but "
                   "counts only with trackers that trust client-given addresses")
      ->required();
  command_->add_option("--meta", meta_,
                       "KEY=VALUE: up=BITS/S, down=BITS/S, protocol=NAME (or protocols=A,B), or "
                       "any other tag; repeatable (rendezvous topics and secrets)");
  command_->add_option("--ttl", ttl_,
                       "Seconds the record should live (rendezvous topics and secrets; 0: the "
                       "tracker's default)");
  command_->add_option("--key", key_file_,
                       "Sign the record with the Ed25519 key in FILE (64 hex digits; created if "
                       "missing): its id is then the public key, and only this key can replace or "
                       "remove it (rendezvous topics and secrets)");
  command_->add_flag("--once", once_, "Announce once and exit, without withdrawing");
  command_->footer(
      "Announcements go to stdout, failures and notes to stderr.\n"
      "Exit codes:\n"
      "  0  a tier accepted the announce\n"
      "  1  no tier accepted it (each tier's reasons are on stderr)\n"
      "  2  a command-line error (nothing was sent)");
}

// Everything is checked before anything is sent; BitTorrent announces carry
// a port (and an IP that few trackers honour), nothing else.
client::Presence AnnounceCommand::presence(const client::Subject& subject,
                                           const client::Tiers& tiers) const {
  const bool bittorrent = subject.kind == client::Subject::Kind::info_hash;
  if (bittorrent && !meta_.empty())
    throw UsageError("--meta: BitTorrent announces carry no metadata (--topic and --secret do)");
  if (bittorrent && ttl_)
    throw UsageError("--ttl: BitTorrent announces carry no TTL (the tracker sets the interval)");
  if (bittorrent && !key_file_.empty())
    throw UsageError("--key: BitTorrent announces are not signed (--topic and --secret are)");
  if (bittorrent && addresses_.size() > 1)
    throw UsageError("--addr: a BitTorrent announce carries one address; give --addr once");
  for (const auto& a : addresses_)
    if (auto ok = client::check_address(subject, tiers, a); !ok)
      throw UsageError("--addr " + a + ": " + ok.error().message);
  client::Presence p;
  p.addresses = addresses_;
  for (const auto& m : meta_) add_meta(m, p.meta);
  p.ttl = ttl_.value_or(0);
  if (!bittorrent) {
    auto record = p.meta;
    record.addresses = p.addresses;
    if (auto ok = client::check_record(subject, record); !ok) throw UsageError(ok.error().message);
  } else {
    note_client_ip(p.addresses.front());
  }
  return p;
}

int AnnounceCommand::run() const {
  return run_reporting_usage("announce", [this] { return announce(); });
}

int AnnounceCommand::announce() const {
  const auto tiers = client_.tiers();
  const auto subject = client_.subject();
  auto me = presence(subject, tiers);
  client::Client c(tiers, subject, client_.options());
  if (!key_file_.empty()) {
    auto signer = client::Signer::load_or_create(key_file_);
    if (!signer) throw std::runtime_error("--key " + signer.error().message);
    c.sign_with(std::move(*signer));
  }
  client::Announcer announcer(c, std::move(me));
  struct sigaction on_signal {};
  on_signal.sa_handler = [](int) { stop_requested = true; };
  sigaction(SIGINT, &on_signal, nullptr);
  sigaction(SIGTERM, &on_signal, nullptr);
  bool any = false;
  announcer.run(
      stop_requested,
      [&](const client::TierOutcome& o, bool withdrawing) {
        any = any || o.ok();
        print_outcome(o, withdrawing, once_);
      },
      once_);
  return any ? 0 : kExitFailed;
}

}  // namespace cairn::app
