#include "announce_command.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <stdexcept>

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
    throw std::runtime_error("--meta " + key + ": not a number");
  return v;
}

// --meta up=N / down=N (bits per second), protocol=NAME (repeatable, or
// protocols=a,b), anything else a tag.
void add_meta(const std::string& item, codec::rv::Record& r) {
  const auto eq = item.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::runtime_error("--meta " + item + ": need KEY=VALUE");
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

void print_outcome(const client::TierOutcome& o, bool withdrawing) {
  if (o.ok() && withdrawing) {
    std::printf("withdrawn from %s\n", o.tracker.c_str());
  } else if (o.ok()) {
    std::printf("announced to %s (tier %zu); again in %u s\n", o.tracker.c_str(), o.tier + 1,
                o.reannounce_after);
  } else {
    std::printf("tier %zu: no tracker answered", o.tier + 1);
    for (const auto& e : o.errors) std::printf("; %s", e.c_str());
    std::printf("\n");
  }
  std::fflush(stdout);
}

}  // namespace

AnnounceCommand::AnnounceCommand(CLI::App& parent) {
  command_ = parent.add_subcommand(
      "announce", "Announce this peer to trackers and keep it announced until Ctrl-C");
  client_.add_to(*command_);
  command_
      ->add_option("--addr", addresses_,
                   "How to reach this peer: IP:PORT, :PORT (the address trackers see), or a URL; "
                   "repeatable")
      ->required();
  command_->add_option("--meta", meta_,
                       "KEY=VALUE: up=BITS/S, down=BITS/S, protocol=NAME (or protocols=A,B), or "
                       "any other tag; repeatable");
  command_->add_option("--ttl", ttl_,
                       "Seconds the record should live (rendezvous; 0: the tracker's default)");
  command_->add_option("--key", key_file_,
                       "Sign the record with the Ed25519 key in FILE (64 hex digits; created if "
                       "missing): its id is then the public key, and only this key can replace or "
                       "remove it (rendezvous topics and secrets)");
  command_->add_flag("--once", once_, "Announce once and exit, without withdrawing");
}

client::Presence AnnounceCommand::presence() const {
  client::Presence p;
  p.addresses = addresses_;
  for (const auto& m : meta_) add_meta(m, p.meta);
  p.ttl = ttl_;
  return p;
}

int AnnounceCommand::run() const {
  client::Client c(client_.tiers(), client_.subject(), client_.options());
  if (!key_file_.empty()) {
    if (c.subject().kind == client::Subject::Kind::info_hash)
      throw std::runtime_error("--key: BitTorrent announces are not signed");
    auto signer = client::Signer::load_or_create(key_file_);
    if (!signer) throw std::runtime_error("--key " + signer.error().message);
    c.sign_with(std::move(*signer));
  }
  client::Announcer announcer(c, presence());
  struct sigaction on_signal {};
  on_signal.sa_handler = [](int) { stop_requested = true; };
  sigaction(SIGINT, &on_signal, nullptr);
  sigaction(SIGTERM, &on_signal, nullptr);
  bool any = false;
  announcer.run(
      stop_requested,
      [&](const client::TierOutcome& o, bool withdrawing) {
        any = any || o.ok();
        print_outcome(o, withdrawing);
      },
      once_);
  return any ? 0 : 1;
}

}  // namespace cairn::app
