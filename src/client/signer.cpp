#include "client/signer.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "codec/rendezvous_record.hpp"

namespace cairn::client {

namespace {

void init() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

Result<void> write_new_seed(const std::string& path, std::array<std::uint8_t, 32>& seed) {
  randombytes_buf(seed.data(), seed.size());
  const std::string text = core::to_hex(seed) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error{path + ": cannot create: " + std::strerror(errno)};
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) return Error{path + ": cannot write"};
  return {};
}

}  // namespace

Signer Signer::from_seed(const std::array<std::uint8_t, 32>& seed) {
  init();
  Signer s;
  crypto_sign_seed_keypair(s.public_key_.data(), s.secret_key_.data(), seed.data());
  return s;
}

Result<Signer> Signer::load_or_create(const std::string& path) {
  init();
  std::array<std::uint8_t, 32> seed{};
  std::ifstream in(path);
  if (!in) {
    if (auto made = write_new_seed(path, seed); !made) return made.error();
    return from_seed(seed);
  }
  std::string text;
  in >> text;
  if (!core::from_hex(text, seed)) return Error{path + ": not a key (64 hex digits)"};
  return from_seed(seed);
}

core::RecordId Signer::id() const { return *core::RecordId::from_bytes(public_key_); }

std::uint64_t Signer::next_seq() {
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  last_seq_ = std::max(last_seq_ + 1, static_cast<std::uint64_t>(now));
  return last_seq_;
}

codec::rv::SignedBy Signer::sign(std::string_view message, std::uint64_t seq) const {
  codec::rv::SignedBy s{seq, {}};
  crypto_sign_detached(s.signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_key_.data());
  return s;
}

codec::rv::SignedBy Signer::sign_register(const core::TopicId& topic, std::uint32_t ttl,
                                          std::string_view body) {
  const std::uint64_t seq = next_seq();
  return sign(codec::rv::register_message(topic.view(), seq, ttl, body), seq);
}

codec::rv::SignedBy Signer::sign_remove(const core::TopicId& topic) {
  const std::uint64_t seq = next_seq();
  return sign(codec::rv::remove_message(topic.view(), seq), seq);
}

}  // namespace cairn::client
