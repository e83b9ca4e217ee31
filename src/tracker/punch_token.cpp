#include "tracker/punch_token.hpp"

#include <sodium.h>

#include <stdexcept>

namespace cairn::tracker {

namespace {
// Big-endian, so the MAC's input is the same on every host (docs).
template <class T>
void put(std::uint8_t* p, T v) {
  for (std::size_t i = sizeof v; i-- > 0; v = static_cast<T>(v >> 8))
    p[i] = static_cast<std::uint8_t>(v);
}
}  // namespace

PunchSecrets PunchSecrets::random() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  PunchSecrets s;
  randombytes_buf(s.token_key.data(), s.token_key.size());
  randombytes_buf(s.id_key.data(), s.id_key.size());
  return s;
}

std::uint64_t attempt_id(const PunchSecrets& s, std::uint64_t counter) {
  std::uint8_t in[8];
  put(in, counter);
  std::uint8_t out[8];
  crypto_shorthash(out, in, sizeof in, s.id_key.data());
  std::uint64_t id = 0;
  for (std::uint8_t b : out) id = id << 8 | b;
  return id;
}

namespace {
void put_endpoint(std::uint8_t* p, const core::Endpoint& e) {
  p[0] = e.family() == core::Family::v4 ? 4 : 6;
  std::copy(e.address.bytes.begin(), e.address.bytes.end(), p + 1);
  put(p + 17, e.port);
}
}  // namespace

core::punch::Token punch_token(const PunchSecrets& s, std::uint64_t attempt,
                               const core::Endpoint& requester, const core::Endpoint& target,
                               core::Millis expires_at) {
  std::uint8_t in[8 + 19 + 19 + 8];
  put(in, attempt);
  put_endpoint(in + 8, requester);
  put_endpoint(in + 27, target);
  put(in + 46, static_cast<std::uint64_t>(expires_at));
  core::punch::Token t{};
  crypto_generichash(t.data(), t.size(), in, sizeof in, s.token_key.data(), s.token_key.size());
  return t;
}

}  // namespace cairn::tracker
