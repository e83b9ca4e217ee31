#pragma once
// An IPv4 or IPv6 address with a port, stored as the raw bytes the wire
// uses. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are normalised to IPv4
// on construction so one host is one peer whichever socket it used.
#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cairn::core {

enum class Family : std::uint8_t { v4, v6 };

struct Address {
  Family family = Family::v4;
  std::array<std::uint8_t, 16> bytes{};  // v4 uses the first 4

  static Address v4(std::span<const std::uint8_t, 4> b);
  // Normalises v4-mapped addresses to v4.
  static Address v6(std::span<const std::uint8_t, 16> b);
  // "1.2.3.4", "::1", "[::1]"; nullopt on anything else.
  static std::optional<Address> parse(std::string_view text);

  std::size_t size() const { return family == Family::v4 ? 4 : 16; }
  std::span<const std::uint8_t> view() const { return {bytes.data(), size()}; }
  bool is_unspecified() const;
  std::string to_string() const;

  friend auto operator<=>(const Address&, const Address&) = default;
  friend bool operator==(const Address&, const Address&) = default;
};

struct Endpoint {
  Address address;
  std::uint16_t port = 0;

  Family family() const { return address.family; }
  // BEP 23 / BEP 7 compact form: address then big-endian port (6 or 18 bytes).
  std::size_t compact_size() const { return address.size() + 2; }
  void write_compact(std::uint8_t* out) const {
    std::memcpy(out, address.bytes.data(), address.size());
    out[address.size()] = static_cast<std::uint8_t>(port >> 8);
    out[address.size() + 1] = static_cast<std::uint8_t>(port);
  }
  // "1.2.3.4:80" or "[::1]:80"; nullopt on anything else.
  static std::optional<Endpoint> parse(std::string_view text);
  std::string to_string() const;

  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// A network in CIDR form, for trusted-proxy and similar address lists.
struct Network {
  Address base;
  std::uint8_t prefix = 0;

  // "10.0.0.0/8", "::1/128", or a bare address (a host network).
  static std::optional<Network> parse(std::string_view text);
  bool contains(const Address& a) const;
  std::string to_string() const;
};

}  // namespace cairn::core
