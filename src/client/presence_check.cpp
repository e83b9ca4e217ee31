#include "client/presence_check.hpp"

#include <algorithm>
#include <string>

#include "client/bittorrent.hpp"

namespace cairn::client {

namespace rv = codec::rv;

namespace {

constexpr std::string_view kNameRule = "1 to 32 of A-Z a-z 0-9 . + _ / -";

// Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on
// operator+ here.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  out.append(s).append("\"");
  return out;
}

bool has_udp_tracker(const Tiers& tiers) {
  return std::any_of(tiers.begin(), tiers.end(), [](const Tier& tier) {
    return std::any_of(tier.begin(), tier.end(),
                       [](const TrackerUrl& u) { return u.scheme == TrackerUrl::Scheme::udp; });
  });
}

Result<void> check_bt_address(const Tiers& tiers, std::string_view address) {
  auto at = parse_bt_address(address);
  if (!at)
    return Error{"need IP:PORT or :PORT (the address the tracker sees you at), port 1 to 65535"};
  if (at->ip && at->ip->family == core::Family::v6 && has_udp_tracker(tiers))
    return Error{"a UDP tracker (BEP 15) carries only an IPv4 address; give :" +
                 std::to_string(at->port) + " to be announced where the tracker sees you"};
  return {};
}

Result<void> check_counts(const rv::Record& r) {
  auto over = [](std::size_t n, std::size_t max, const char* what) -> Result<void> {
    if (n <= max) return {};
    return Error{std::to_string(n) + " " + what + ": a record holds at most " +
                 std::to_string(max)};
  };
  if (auto e = over(r.addresses.size(), rv::kMaxAddresses, "addresses"); !e) return e;
  if (auto e = over(r.protocols.size(), rv::kMaxProtocols, "protocols"); !e) return e;
  return over(r.tags.size(), rv::kMaxTags, "tags");
}

Result<void> check_tags(const std::vector<rv::Tag>& tags) {
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const auto& t = tags[i];
    if (!rv::valid_name(t.key))
      return Error{"tag " + quoted(t.key) + ": need a name of " + std::string(kNameRule)};
    // The codec alone knows the rest of a tag's rules (UTF-8, length).
    rv::Record alone;
    alone.tags.push_back(t);
    if (!rv::encode_body(alone))
      return Error{"tag " + quoted(t.key) + ": need a value of at most " +
                   std::to_string(rv::kMaxTagValueBytes) + " bytes of UTF-8"};
    for (std::size_t j = 0; j < i; ++j)
      if (tags[j].key == t.key) return Error{"tag " + quoted(t.key) + " given twice"};
  }
  return {};
}

}  // namespace

Result<void> check_address(const Subject& subject, const Tiers& tiers, std::string_view address) {
  if (subject.kind == Subject::Kind::info_hash) return check_bt_address(tiers, address);
  const bool endpoint = !address.empty() && address.find("://") == std::string_view::npos;
  if (!rv::valid_address(address) || (endpoint && !parse_bt_address(address)))
    return Error{
        "need IP:PORT, [IPv6]:PORT, :PORT (the address the tracker sees you at), "
        "port 1 to 65535, or a URL (scheme://...)"};
  return {};
}

Result<void> check_record(const Subject& subject, const rv::Record& record) {
  if (auto e = check_counts(record); !e) return e;
  for (const auto& a : record.addresses)
    if (auto e = check_address(subject, {}, a); !e)
      return Error{"address " + quoted(a) + ": " + e.error().message};
  for (const auto& p : record.protocols)
    if (!rv::valid_name(p))
      return Error{"protocol " + quoted(p) + ": need " + std::string(kNameRule)};
  if (auto e = check_tags(record.tags); !e) return e;
  auto body = rv::encode_body(record);
  if (!body && body.error() == rv::RecordError::record_too_large)
    return Error{"the record is over " + std::to_string(rv::kMaxBody) +
                 " bytes encoded: give fewer or shorter addresses, protocols or tags"};
  if (!body) return Error{"the record breaks a rule of docs/rendezvous.md"};
  if (subject.kind == Subject::Kind::sealed && body->size() + kSealOverhead > rv::kMaxSealed)
    return Error{"the record is " + std::to_string(body->size()) +
                 " bytes encoded; sealed, it may be " +
                 std::to_string(rv::kMaxSealed - kSealOverhead) +
                 ": give fewer or shorter addresses, protocols or tags"};
  return {};
}

}  // namespace cairn::client
