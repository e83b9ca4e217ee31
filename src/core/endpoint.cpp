#include "core/endpoint.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace cairn::core {

namespace {
constexpr std::uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool parse_port(std::string_view text, std::uint16_t& port) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}
}  // namespace

Address Address::v4(std::span<const std::uint8_t, 4> b) {
  Address a;
  a.family = Family::v4;
  std::memcpy(a.bytes.data(), b.data(), 4);
  return a;
}

Address Address::v6(std::span<const std::uint8_t, 16> b) {
  if (std::memcmp(b.data(), v4_mapped_prefix, 12) == 0) return v4(b.subspan<12, 4>());
  Address a;
  a.family = Family::v6;
  std::memcpy(a.bytes.data(), b.data(), 16);
  return a;
}

std::optional<Address> Address::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<std::uint8_t, 16> raw{};
  if (inet_pton(AF_INET, buf, raw.data()) == 1)
    return v4(std::span<const std::uint8_t, 4>(raw.data(), 4));
  if (inet_pton(AF_INET6, buf, raw.data()) == 1) return v6(raw);
  return std::nullopt;
}

bool Address::is_unspecified() const {
  for (std::size_t i = 0; i < size(); ++i)
    if (bytes[i] != 0) return false;
  return true;
}

std::string Address::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family == Family::v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto host = text.substr(0, colon);
  // A bare IPv6 address must be bracketed, or its last group reads as a port.
  if (host.find(':') != std::string_view::npos && host.front() != '[') return std::nullopt;
  Endpoint e;
  auto address = Address::parse(host);
  if (!address || !parse_port(text.substr(colon + 1), e.port)) return std::nullopt;
  e.address = *address;
  return e;
}

std::string Endpoint::to_string() const {
  // Built in a buffer: GCC 12 warns falsely (-Wrestrict) on chained string +.
  char buf[INET6_ADDRSTRLEN + 8];
  auto text = address.to_string();
  std::snprintf(buf, sizeof buf, address.family == Family::v6 ? "[%s]:%u" : "%s:%u", text.c_str(),
                static_cast<unsigned>(port));
  return buf;
}

std::optional<Network> Network::parse(std::string_view text) {
  auto slash = text.find('/');
  auto address = Address::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  Network n{*address, static_cast<std::uint8_t>(address->size() * 8)};
  if (slash != std::string_view::npos) {
    auto bits = text.substr(slash + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
    if (bits.empty() || ec != std::errc{} || end != bits.data() + bits.size() ||
        value > address->size() * 8)
      return std::nullopt;
    n.prefix = static_cast<std::uint8_t>(value);
  }
  return n;
}

// The addresses as two big-endian 64-bit words (an IPv4 one in the top
// half of the first) compared under the prefix's masks: no byte loop or
// library call, as the rate limiter asks for every request it sees.
bool Network::contains(const Address& a) const {
  if (a.family != base.family) return false;
  const auto word = [](const Address& x, int i) {
    std::uint64_t w;
    std::memcpy(&w, x.bytes.data() + 8 * i, sizeof w);
    return __builtin_bswap64(w);
  };
  const unsigned p = prefix;
  const std::uint64_t ones = ~std::uint64_t{0};
  const std::uint64_t high = p == 0 ? 0 : ones << (64 - std::min(p, 64u));
  const std::uint64_t low = p <= 64 ? 0 : ones << (128 - p);
  return ((word(a, 0) ^ word(base, 0)) & high) == 0 && ((word(a, 1) ^ word(base, 1)) & low) == 0;
}

std::string Network::to_string() const {
  char buf[INET6_ADDRSTRLEN + 4];
  std::snprintf(buf, sizeof buf, "%s/%u", base.to_string().c_str(), static_cast<unsigned>(prefix));
  return buf;
}

}  // namespace cairn::core
