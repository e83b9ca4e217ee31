#include "lookup_command.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "command_line.hpp"

namespace cairn::app {

namespace {

constexpr int kExitNoneFound = 3;

std::string joined(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// ADDRESSES  last_seen=12s expires_in=288s up=.. down=.. protocols=.. TAG=.. id=.. via=..
std::string line_of(const client::FoundPeer& p) {
  std::string line = joined(p.addresses, ",");
  if (const auto& r = p.record) {
    line += "  last_seen=" + std::to_string(r->last_seen) +
            "s expires_in=" + std::to_string(r->expires_in) + "s";
    if (r->record.up_bps) line += " up=" + std::to_string(*r->record.up_bps);
    if (r->record.down_bps) line += " down=" + std::to_string(*r->record.down_bps);
    if (!r->record.protocols.empty()) line += " protocols=" + joined(r->record.protocols, ",");
    for (const auto& t : r->record.tags) line += " " + t.key + "=" + t.value;
    line += " id=" + r->id.hex();
  }
  return line + "  via=" + joined(p.trackers, ",");
}

boost::json::value json_of(const client::FoundPeer& p) {
  boost::json::object o;
  o["addresses"] = boost::json::value_from(p.addresses);
  o["trackers"] = boost::json::value_from(p.trackers);
  if (const auto& r = p.record) {
    o["id"] = r->id.hex();
    o["last_seen"] = r->last_seen;
    o["expires_in"] = r->expires_in;
    boost::json::object meta;
    if (r->record.up_bps) meta["up"] = *r->record.up_bps;
    if (r->record.down_bps) meta["down"] = *r->record.down_bps;
    meta["protocols"] = boost::json::value_from(r->record.protocols);
    boost::json::object tags;
    for (const auto& t : r->record.tags) tags[t.key] = t.value;
    meta["tags"] = std::move(tags);
    o["meta"] = std::move(meta);
  }
  return o;
}

// Say why nothing was printed: a UDP tracker asked over IPv6 knows only
// the IPv6 peers of a swarm (BEP 15), and the swarm may have IPv4 ones.
std::string nothing_found(const client::LookupOutcome& found) {
  std::string out = "no peers found";
  for (const auto& o : found.one_family)
    out += "; " + o.tracker + " answers with " +
           (o.family == core::Family::v6 ? "IPv6 peers only (BEP 15 over IPv6)"
                                         : "IPv4 peers only (BEP 15 over IPv4)");
  return out;
}

}  // namespace

LookupCommand::LookupCommand(CLI::App& parent) {
  command_ = parent.add_subcommand("lookup", "Ask trackers who is there; merged, one peer a line");
  client_.add_to(*command_);
  command_->add_option("--capability", capability_,
                       "Only peers that list this protocol (rendezvous topics and secrets)");
  command_->add_flag("--json", json_, "Print one JSON document instead of lines");
  command_->footer(
      "Peers go to stdout, failures and notes to stderr.\n"
      "Exit codes:\n"
      "  0  peers found\n"
      "  1  no tracker answered in any tier (each tier's reasons are on stderr)\n"
      "  2  a command-line error (nothing was sent)\n"
      "  3  a tracker answered, but no peer was found (a UDP tracker gives only the peers of "
      "the address family it is asked over)");
}

int LookupCommand::run() const {
  return run_reporting_usage("lookup", [this] { return look_up(); });
}

int LookupCommand::look_up() const {
  const auto subject = client_.subject();
  if (subject.kind == client::Subject::Kind::info_hash && !capability_.empty())
    throw UsageError("--capability: BitTorrent peers list no protocols (--topic and --secret do)");
  client::Client c(client_.tiers(), subject, client_.options());
  const auto found = c.lookup(capability_);
  for (const auto& e : found.errors) std::fprintf(stderr, "cairn lookup: %s\n", e.c_str());
  if (json_) {
    boost::json::array peers;
    for (const auto& p : found.peers) peers.push_back(json_of(p));
    boost::json::object doc{{"peers", std::move(peers)},
                            {"errors", boost::json::value_from(found.errors)}};
    std::printf("%s\n", boost::json::serialize(doc).c_str());
  } else {
    for (const auto& p : found.peers) std::printf("%s\n", line_of(p).c_str());
  }
  if (found.tiers_answered == 0) return kExitFailed;
  if (found.peers.empty()) {
    std::fprintf(stderr, "cairn lookup: %s\n", nothing_found(found).c_str());
    return kExitNoneFound;
  }
  return 0;
}

}  // namespace cairn::app
