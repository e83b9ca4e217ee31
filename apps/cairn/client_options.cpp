#include "client_options.hpp"

#include "client/info_hash_text.hpp"
#include "client/tls_client.hpp"
#include "command_line.hpp"

namespace cairn::app {

void ClientOptions::add_to(CLI::App& c) {
  c.add_option(
       "--tracker", trackers_,
       "A tracker tier: one URL (http://HOST:PORT/announce, https://..., udp://HOST:PORT), or "
       "several "
       "separated by commas, tried in order until one answers; repeat for more tiers, "
       "which are used in parallel")
      ->required();
  auto* subject = c.add_option_group("subject", "What to announce or look up")->require_option(1);
  subject->add_option("--topic", topic_, "A rendezvous topic: 40 hex digits");
  subject->add_option("--info-hash", info_hash_,
                      "A BitTorrent info hash: 40 hex digits, 32 base32 characters, a v2 hash "
                      "(64 hex digits, used truncated to 20 bytes as BEP 52 says), urn:btih:..., "
                      "urn:btmh:1220..., or a magnet link (quote it)");
  subject->add_option("--secret", secret_,
                      "A shared secret: the topic and the key of sealed (encrypted) records are "
                      "derived from it");
  c.add_option("--ca", ca_file_,
               "PEM file of the CA certificates to trust for https:// trackers instead of the "
               "system's (a private CA)")
      ->check(CLI::ExistingFile);
  c.add_option("--timeout-ms", timeout_ms_, "Milliseconds to wait for one tracker's answer")
      ->check(CLI::Range(1u, 600'000u))
      ->capture_default_str();
}

client::Tiers ClientOptions::tiers() const {
  std::vector<std::vector<std::string>> text;
  for (const auto& t : trackers_) {
    auto& tier = text.emplace_back();
    for (std::size_t start = 0; start <= t.size();) {
      const auto comma = std::min(t.find(',', start), t.size());
      if (comma > start) tier.push_back(t.substr(start, comma - start));
      start = comma + 1;
    }
  }
  auto tiers = client::parse_tiers(text);
  if (!tiers) throw UsageError("--tracker " + tiers.error().message);
  return *tiers;
}

client::Subject ClientOptions::subject() const {
  if (!secret_.empty()) return client::Subject::for_secret(secret_);
  if (!info_hash_.empty()) {
    auto h = client::parse_info_hash(info_hash_);
    if (!h) throw UsageError("--info-hash " + info_hash_ + ": " + h.error().message);
    return client::Subject::for_info_hash(*h);
  }
  auto t = core::TopicId::from_hex(topic_);
  if (!t) throw UsageError("--topic " + topic_ + ": need 40 hex digits");
  return client::Subject::for_topic(*t);
}

client::Options ClientOptions::options() const {
  if (!ca_file_.empty())
    if (auto used = client::use_ca_file(ca_file_); !used) throw UsageError(used.error().message);
  client::Options o;
  o.timeout = client::Millis(timeout_ms_);
  return o;
}

}  // namespace cairn::app
