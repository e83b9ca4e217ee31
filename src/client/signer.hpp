#pragma once
// A signing key for signed rendezvous records (docs/rendezvous.md, "Signed
// records"): Ed25519 from a 32-byte seed, kept in a file as 64 hex digits.
// A record signed with it has the public key as its id, and only requests
// signed with the same key can replace or remove it.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "client/error.hpp"
#include "codec/rendezvous_json.hpp"
#include "core/ids.hpp"
#include "core/record_id.hpp"

namespace cairn::client {

class Signer {
 public:
  static Signer from_seed(const std::array<std::uint8_t, 32>& seed);
  // Reads the seed from `path`; a missing file is created with a new
  // random seed (mode 0600), so `--key FILE` works the first time too.
  static Result<Signer> load_or_create(const std::string& path);

  core::RecordId id() const;  // the public key
  // `seq` is above every one this process signed before, and, being
  // microseconds of the wall clock, above those of earlier runs too.
  codec::rv::SignedBy sign_register(const core::TopicId& topic, std::uint32_t ttl,
                                    std::string_view body);
  codec::rv::SignedBy sign_remove(const core::TopicId& topic);

 private:
  codec::rv::SignedBy sign(std::string_view message, std::uint64_t seq) const;
  std::uint64_t next_seq();

  std::array<std::uint8_t, 32> public_key_{};
  std::array<std::uint8_t, 64> secret_key_{};
  std::uint64_t last_seq_ = 0;
};

}  // namespace cairn::client
