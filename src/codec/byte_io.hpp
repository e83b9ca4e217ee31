#pragma once
// A bounds-checked reader and writer for the binary codecs' packets (the
// rendezvous and hole-punching UDP messages), big-endian like the rest of
// the wire. Both fail for good on the first access past the end, so a codec
// reads or writes on and checks once at the end.
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>

#include "codec/big_endian.hpp"

namespace cairn::codec::be {

// Reads a packet front to back. A failed read, or fail(), leaves the
// reader failed for good and its reads return zeros.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> p) : p_(p) {}
  std::span<const std::uint8_t> bytes(std::size_t n) {
    if (!ok_ || n > p_.size() - at_) {
      ok_ = false;
      return {};
    }
    at_ += n;
    return p_.subspan(at_ - n, n);
  }
  std::uint8_t u8() {
    return read<1>([](const std::uint8_t* b) { return *b; });
  }
  std::uint16_t u16() { return read<2>(be::load16); }
  std::uint32_t u32() { return read<4>(be::load32); }
  std::uint64_t u64() { return read<8>(be::load64); }
  template <std::size_t N>
  std::span<const std::uint8_t, N> fixed() {
    static constexpr std::uint8_t zeros[N] = {};
    auto b = bytes(N);
    return std::span<const std::uint8_t, N>(ok_ ? b.data() : zeros, N);
  }
  std::string_view text(std::size_t n) {
    auto b = bytes(n);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  void fail() { ok_ = false; }
  bool ok() const { return ok_; }
  bool done() const { return ok_ && at_ == p_.size(); }
  std::span<const std::uint8_t> rest() const {
    return ok_ ? p_.subspan(at_) : std::span<const std::uint8_t>{};
  }

 private:
  template <std::size_t N, class Load>
  auto read(Load load) -> decltype(load(nullptr)) {
    auto b = bytes(N);
    return ok_ ? load(b.data()) : decltype(load(nullptr)){};
  }
  std::span<const std::uint8_t> p_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

// Writes front to back; a write past the end fails the writer, and size()
// is then 0, the encoders' "out is too small".
class Writer {
 public:
  explicit Writer(std::span<std::uint8_t> out) : out_(out) {}
  void bytes(std::span<const std::uint8_t> b) {
    if (!ok_ || b.size() > out_.size() - at_) {
      ok_ = false;
      return;
    }
    if (!b.empty()) std::memcpy(out_.data() + at_, b.data(), b.size());
    at_ += b.size();
  }
  void text(std::string_view s) {
    bytes({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }
  // A length of type Length, then the bytes; too long for it fails.
  template <class Length>
  void prefixed(std::string_view s) {
    if (s.size() > std::numeric_limits<Length>::max()) return fail();
    if constexpr (sizeof(Length) == 1)
      u8(static_cast<Length>(s.size()));
    else
      u16(static_cast<Length>(s.size()));
    text(s);
  }
  void u8(std::uint8_t v) { bytes({&v, 1}); }
  void u16(std::uint16_t v) { put<2>(be::store16, v); }
  void u32(std::uint32_t v) { put<4>(be::store32, v); }
  void u64(std::uint64_t v) { put<8>(be::store64, v); }
  void fail() { ok_ = false; }
  std::size_t size() const { return ok_ ? at_ : 0; }

 private:
  template <std::size_t N, class Store, class T>
  void put(Store store, T v) {
    std::uint8_t b[N];
    store(b, v);
    bytes(b);
  }
  std::span<std::uint8_t> out_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

}  // namespace cairn::codec::be
