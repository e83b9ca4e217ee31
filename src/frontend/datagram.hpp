#pragma once
// The seam between a UDP listener and the protocols on its port. The
// listener hands a whole receive batch to a DatagramDispatcher
// (datagram_dispatcher.hpp); the dispatcher gives each handler the
// datagrams whose first bytes match its entry, in one call per handler per
// batch, so a handler can batch its own work (BEP 15 announces reach the
// store in one announce_batch). No sockets here.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "core/endpoint.hpp"
#include "tracker/request_context.hpp"

namespace cairn::frontend {

// The most datagrams one batch holds (the listener's recvmmsg batch).
inline constexpr std::size_t kMaxBatch = 64;

struct Datagram {
  std::span<const std::uint8_t> in;
  core::Endpoint from;
  std::span<std::uint8_t> out;  // room for the reply
  std::size_t reply = 0;        // the reply's size; 0: send nothing
};

class DatagramHandler {
 public:
  DatagramHandler() = default;
  DatagramHandler(const DatagramHandler&) = delete;
  DatagramHandler& operator=(const DatagramHandler&) = delete;
  virtual ~DatagramHandler() = default;

  // Sets the reply of each datagram of `batch` (in arrival order, all
  // admitted and matched to this handler). `ctx` carries the batch's clock
  // reading and worker; its source is unset (ctx.from(d.from) sets it).
  // Every reply follows the UDP rules: none larger than its request unless
  // the source proved its address (a BEP 15 connection id), so a spoofed
  // source cannot use the tracker to amplify a flood.
  virtual void handle(std::span<Datagram* const> batch,
                      const tracker::RequestContext& ctx) const = 0;
};

// Which datagrams an entry takes, by their first bytes only: no call, so
// dispatching costs one indirect call per handler per batch. A datagram
// matches when it is at least `min_size` bytes long and the 8 bytes at
// `offset` (big-endian, zero past the end), masked by `mask`, equal `value`.
struct DatagramMatcher {
  std::size_t min_size = 0;
  std::size_t offset = 0;
  std::uint64_t mask = 0;
  std::uint64_t value = 0;

  bool matches(std::span<const std::uint8_t> packet) const {
    if (packet.size() < min_size) return false;
    if (mask == 0) return value == 0;
    std::uint64_t word = 0;
    if (offset + 8 <= packet.size()) {  // the common case: one load
      std::memcpy(&word, packet.data() + offset, 8);
      if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
    } else {
      for (std::size_t i = offset; i < offset + 8; ++i)
        word = word << 8 | (i < packet.size() ? packet[i] : 0u);
    }
    return (word & mask) == value;
  }

  // Every datagram: the last entry's (BEP 15 parses anything and answers
  // what it cannot read with an error, where one may be sent).
  static constexpr DatagramMatcher any() { return {}; }

  // For the protocols to come on the same port (RFC 8489, BEP 5):
  // STUN: the top two bits of byte 0 zero, the magic cookie at bytes 4-7.
  static constexpr DatagramMatcher stun() { return {20, 0, 0xC000'0000'FFFF'FFFF, 0x2112'A442}; }
  // KRPC: a bencoded dictionary whose first key is short ("d1:a", "d1:r",
  // "d2:ip"): 'd', any byte, ':'.
  static constexpr DatagramMatcher krpc() {
    return {3, 0, 0xFF00'FF00'0000'0000, 0x6400'3A00'0000'0000};
  }
  // Both go before BEP 15, whose announces and scrapes start with a
  // connection id the tracker issued: one of those whose bytes fit these
  // matchers would be taken from BEP 15 (about 1 in 2^16 for krpc(), 2^34
  // for stun()). Whoever registers them first makes ConnectionIds issue
  // only ids with the top bit of byte 0 set, which neither can match.
};

}  // namespace cairn::frontend
