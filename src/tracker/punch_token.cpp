#include "tracker/punch_token.hpp"

#include <sodium.h>

#include <stdexcept>

#include "codec/big_endian.hpp"

namespace cairn::tracker {

PunchSecrets PunchSecrets::random() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  PunchSecrets s;
  randombytes_buf(s.token_key.data(), s.token_key.size());
  randombytes_buf(s.id_key.data(), s.id_key.size());
  return s;
}

std::uint64_t attempt_id(const PunchSecrets& s, std::uint64_t counter) {
  std::uint8_t in[8];
  codec::be::store64(in, counter);
  std::uint8_t out[8];
  crypto_shorthash(out, in, sizeof in, s.id_key.data());
  return codec::be::load64(out);
}

namespace {
void put_endpoint(std::uint8_t* p, const core::Endpoint& e) {
  p[0] = e.family() == core::Family::v4 ? 4 : 6;
  std::copy(e.address.bytes.begin(), e.address.bytes.end(), p + 1);
  codec::be::store16(p + 17, e.port);
}
}  // namespace

codec::punch::Token punch_token(const PunchSecrets& s, std::uint64_t attempt,
                                const core::Endpoint& requester, const core::Endpoint& target,
                                core::Millis expires_at) {
  std::uint8_t in[8 + 19 + 19 + 8];
  codec::be::store64(in, attempt);
  put_endpoint(in + 8, requester);
  put_endpoint(in + 27, target);
  codec::be::store64(in + 46, expires_at);
  codec::punch::Token t{};
  crypto_generichash(t.data(), t.size(), in, sizeof in, s.token_key.data(), s.token_key.size());
  return t;
}

}  // namespace cairn::tracker
