#pragma once
// Bencode (BEP 3). The writer appends to a caller-owned string that is reused
// across requests, so encoding a reply allocates nothing once warm. Two
// readers share one set of rules (canonical integers and string lengths):
// BencodeCursor walks a buffer value by value and allocates nothing, for hot
// paths that pick out a few known keys (the KRPC codec); bdecode builds a
// small tree of views into the caller's buffer, for clients, tests and the
// load generator. Both have explicit depth and size limits.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace cairn::codec {

class BencodeWriter {
 public:
  explicit BencodeWriter(std::string& out) : out_(out) {}
  void integer(std::int64_t v);
  void string(std::string_view s);
  void begin_dict() { out_.push_back('d'); }
  void begin_list() { out_.push_back('l'); }
  void end() { out_.push_back('e'); }
  // key then value: the caller writes keys in sorted order, as BEP 3 asks.
  void key(std::string_view k) { string(k); }

 private:
  std::string& out_;
};

struct BValue {
  enum class Kind : std::uint8_t { integer, string, list, dict };
  // A dict entry, used like std::pair (first = key, second = value). Not
  // std::pair itself: pair<string_view, BValue> inside BValue is a
  // recursive type that clang with libstdc++ rejects, and the fuzz targets
  // are built with clang.
  struct Entry;
  Kind kind = Kind::integer;
  std::int64_t integer = 0;
  std::string_view string;
  std::vector<BValue> list;
  std::vector<Entry> dict;  // in input order

  const BValue* find(std::string_view key) const;  // dict lookup; null if absent or not a dict
};

struct BValue::Entry {
  std::string_view first;
  BValue second;
};

struct BdecodeLimits {
  std::size_t max_depth = 32;
  std::size_t max_items = 100'000;  // values in the whole document
};

enum class BencodeError : std::uint8_t {
  truncated = 1,      // input ends inside a value
  bad_integer,        // not a canonical integer (e.g. "i-0e", "i03e", overflow)
  bad_string_length,  // length not a number or longer than the input
  bad_type,           // a byte that starts no value
  depth_exceeded,
  too_many_items,
  trailing_data,  // bytes after the top-level value
  bad_key,        // dict key not a string, or keys not strictly sorted
};

inline constexpr BencodeError bencode_ok{};  // no error: the value 0

// A forward-only reader over a caller's buffer: no tree, no allocation;
// every view it hands out points into the buffer. The caller walks the
// structure (enter() a list or dict, read its items, leave() at its 'e');
// skip() passes over one whole value of any shape within the limits given.
// Dict keys are read as strings; their order is the caller's concern.
class BencodeCursor {
 public:
  explicit BencodeCursor(std::string_view in) : in_(in) {}

  enum class Next : std::uint8_t { integer, string, list, dict, end, none, bad };
  // What starts at the cursor: `end` is a container's 'e', `none` the end
  // of the input, `bad` a byte that starts no value.
  Next next() const;
  bool at_end() const { return pos_ == in_.size(); }
  std::size_t position() const { return pos_; }

  BencodeError read_integer(std::int64_t& out);
  BencodeError read_string(std::string_view& out);
  // Steps into the list or dict at the cursor (next() said which).
  void enter() { ++pos_; }
  // Steps over the 'e' that closes a container (next() == Next::end).
  void leave() { ++pos_; }
  // Passes over one value; containers may nest `max_depth` deep (0: only
  // integers and strings), and every value inside counts against `items`.
  BencodeError skip(std::size_t max_depth, std::size_t& items);

 private:
  // A prefix that could still become valid is truncated; otherwise `bad`.
  static BencodeError truncated_or_bad(std::string_view rest, BencodeError bad);

  std::string_view in_;
  std::size_t pos_ = 0;
};

// Decodes exactly one value spanning the whole input.
core::Result<BValue, BencodeError> bdecode(std::string_view input,
                                           const BdecodeLimits& limits = {});

}  // namespace cairn::codec
