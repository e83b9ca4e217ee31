#pragma once
// Sealed records (docs/rendezvous.md, "Sealed records"): from a shared
// secret, the topic to register under and the key that encrypts the
// contact record, so the tracker stores bytes it cannot read. The
// construction is spelled out in the doc, with test vectors.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/ids.hpp"

namespace cairn::client {

struct SealedKeys {
  core::TopicId topic;
  std::array<std::uint8_t, 32> key{};
};

SealedKeys derive_sealed_keys(std::string_view secret);

inline constexpr std::size_t kSealNonceBytes = 24;
inline constexpr std::size_t kSealOverhead = kSealNonceBytes + 16;  // nonce and tag

// nonce | XChaCha20-Poly1305(key, nonce, plaintext, ad = topic). A random
// nonce unless one is given (for test vectors).
std::string seal(const SealedKeys& keys, std::string_view plaintext,
                 const std::array<std::uint8_t, kSealNonceBytes>* nonce = nullptr);
// The plaintext, or nullopt if `sealed` fails authentication under `keys`.
std::optional<std::string> open_sealed(const SealedKeys& keys, std::string_view sealed);

}  // namespace cairn::client
