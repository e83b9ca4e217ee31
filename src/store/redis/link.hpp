#pragma once
// The seam between the Redis stores (pure: they build commands and read
// replies) and the cluster client that moves them (src/redis/, sockets).
// A store encodes its calls into a Batch, hands it to a RedisLink, and
// reads each call's reply from Replies, which owns a copy of the bytes, so
// the link's connections are free again as soon as exec returns.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/resp.hpp"
#include "store/redis/sha1.hpp"
#include "store/remote_counters.hpp"

namespace cairn::store::redis {

// A Lua script, sent as EVALSHA and, when a node does not have it yet
// (NOSCRIPT), as EVAL.
struct Script {
  explicit Script(std::string text) : body(std::move(text)), sha1(sha1_hex(body)) {}
  std::string body;
  std::string sha1;
};

// Calls to make, each on one slot, encoded once into one buffer.
class Batch {
 public:
  struct Call {
    std::uint16_t slot = 0;
    const Script* script = nullptr;  // nullptr: a plain command, its words in the args
    std::uint32_t argc = 0;
    std::uint32_t begin = 0, end = 0;  // its encoded args in the buffer
  };

  void clear() {
    buffer_.clear();
    calls_.clear();
  }
  // A script call: numkeys, the keys and the args follow as arg()s.
  void script(std::uint16_t slot, const Script& s) { open(slot, &s); }
  // A plain command; its name and arguments follow as arg()s.
  void command(std::uint16_t slot) { open(slot, nullptr); }
  void arg(std::string_view value) {
    codec::resp::write_bulk(buffer_, value);
    close();
  }
  void arg(std::int64_t value) {
    codec::resp::write_bulk(buffer_, value);
    close();
  }

  std::size_t size() const { return calls_.size(); }
  bool empty() const { return calls_.empty(); }
  const Call& call(std::size_t i) const { return calls_[i]; }
  // Call i's arguments as RESP bulk strings, ready to follow a header.
  std::string_view args(const Call& c) const {
    return std::string_view(buffer_).substr(c.begin, c.end - c.begin);
  }

 private:
  void open(std::uint16_t slot, const Script* s) {
    const auto at = static_cast<std::uint32_t>(buffer_.size());
    calls_.push_back({slot, s, 0, at, at});
  }
  void close() {
    calls_.back().argc += 1;
    calls_.back().end = static_cast<std::uint32_t>(buffer_.size());
  }

  std::string buffer_;
  std::vector<Call> calls_;
};

// Each call's reply, or none if it could not be had in time.
class Replies {
 public:
  void reset(std::size_t calls) {
    bytes_.clear();
    nodes_.clear();
    roots_.assign(calls, kNone);
  }
  // Stores call i's reply: the bytes [start, end) of `buffer`, which
  // `nodes` (offsets into `buffer`) describe.
  void set(std::size_t i, std::string_view buffer, std::size_t start, std::size_t end,
           std::span<const codec::resp::Node> nodes) {
    const std::size_t base = bytes_.size();
    bytes_.append(buffer.substr(start, end - start));
    roots_[i] = nodes_.size();
    for (codec::resp::Node n : nodes) {
      // Nodes without text (integers, aggregates) point at the start.
      n.offset = static_cast<std::uint32_t>(n.offset >= start ? n.offset - start + base : base);
      nodes_.push_back(n);
    }
  }
  std::size_t size() const { return roots_.size(); }
  bool answered(std::size_t i) const { return roots_[i] != kNone; }
  codec::resp::Reply at(std::size_t i) const { return {&nodes_[roots_[i]], bytes_}; }

 private:
  static constexpr std::size_t kNone = ~std::size_t{0};
  std::string bytes_;
  std::vector<codec::resp::Node> nodes_;
  std::vector<std::size_t> roots_;
};

class RedisLink {
 public:
  virtual ~RedisLink() = default;
  // Sends every call of `batch`, pipelined to the masters that serve their
  // slots, follows redirections, and puts each reply in `replies` (reset
  // to batch.size() calls). Calls to one slot run in batch order. Returns
  // once every call has its reply or the link's time bound has passed: a
  // call left unanswered is one the cluster cannot take now (a node
  // unreachable, a slot without a master while a replica takes over).
  // Safe to call from many threads at once.
  virtual void exec(const Batch& batch, Replies& replies) = 0;
  // What the link did to reach the cluster, or nullptr if it keeps no count.
  virtual const RemoteCounters* counters() const { return nullptr; }
};

}  // namespace cairn::store::redis
