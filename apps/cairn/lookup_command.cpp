#include "lookup_command.hpp"

#include <boost/json.hpp>
#include <cstdio>

namespace cairn::app {

namespace {

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

}  // namespace

LookupCommand::LookupCommand(CLI::App& parent) {
  command_ = parent.add_subcommand("lookup", "Ask trackers who is there; merged, one peer a line");
  client_.add_to(*command_);
  command_->add_option("--capability", capability_,
                       "Only peers that list this protocol (rendezvous topics and secrets)");
  command_->add_flag("--json", json_, "Print one JSON document instead of lines");
}

int LookupCommand::run() const {
  client::Client c(client_.tiers(), client_.subject(), client_.options());
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
  return found.tiers_answered > 0 ? 0 : 1;
}

}  // namespace cairn::app
