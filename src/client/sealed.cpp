#include "client/sealed.hpp"

#include <sodium.h>

#include <stdexcept>

namespace cairn::client {

namespace {

constexpr std::string_view kTopicKey = "cairn sealed topic v1";
constexpr std::string_view kKeyKey = "cairn sealed key v1";

void init() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

void keyed_blake2b(std::string_view key, std::string_view message, unsigned char* out,
                   std::size_t out_size) {
  crypto_generichash(out, out_size, bytes(message), message.size(), bytes(key), key.size());
}

}  // namespace

SealedKeys derive_sealed_keys(std::string_view secret) {
  init();
  SealedKeys k;
  keyed_blake2b(kTopicKey, secret, k.topic.bytes.data(), k.topic.bytes.size());
  keyed_blake2b(kKeyKey, secret, k.key.data(), k.key.size());
  return k;
}

std::string seal(const SealedKeys& keys, std::string_view plaintext,
                 const std::array<std::uint8_t, kSealNonceBytes>* nonce) {
  init();
  std::string out(kSealOverhead + plaintext.size(), '\0');
  auto* n = reinterpret_cast<unsigned char*>(out.data());
  if (nonce)
    std::copy(nonce->begin(), nonce->end(), n);
  else
    randombytes_buf(n, kSealNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(n + kSealNonceBytes, &written, bytes(plaintext),
                                             plaintext.size(), keys.topic.bytes.data(),
                                             keys.topic.bytes.size(), nullptr, n, keys.key.data());
  out.resize(kSealNonceBytes + written);
  return out;
}

std::optional<std::string> open_sealed(const SealedKeys& keys, std::string_view sealed) {
  init();
  if (sealed.size() < kSealOverhead) return std::nullopt;
  std::string plain(sealed.size() - kSealOverhead, '\0');
  unsigned long long written = 0;
  const auto* n = bytes(sealed);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &written, nullptr, n + kSealNonceBytes,
          sealed.size() - kSealNonceBytes, keys.topic.bytes.data(), keys.topic.bytes.size(), n,
          keys.key.data()) != 0)
    return std::nullopt;
  plain.resize(written);
  return plain;
}

}  // namespace cairn::client
