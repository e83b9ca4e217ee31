#pragma once
// RESP, the Redis protocol (RESP2 and RESP3), both ways.
//
// Writing: commands are arrays of bulk strings, appended to a caller-owned
// string that is reused, so a warm pipeline allocates nothing.
//
// Reading: parse() reads one reply from the front of a buffer into a flat
// vector of nodes in pre-order (an aggregate's children follow it), with
// explicit limits on depth, element counts and string sizes. A node holds
// its text as an offset and length into the buffer, not a pointer, so the
// caller may keep appending to (and reallocating) the buffer while it reads
// a pipeline's replies; Reply turns a node back into views once the buffer
// is still. A reply cut short is `incomplete` (read more and parse again
// from the same offset); anything that is not RESP is `invalid`, and the
// connection it came from cannot be trusted any more.
//
// RESP3 attributes (|) are read and dropped, as the protocol allows a
// client that does not use them to do; streamed strings and aggregates
// (`$?`, `*?`) are not supported (Redis never sends them) and read as
// invalid.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::codec::resp {

// --- writing ---

void write_array_header(std::string& out, std::size_t count);
void write_bulk(std::string& out, std::string_view value);
void write_bulk(std::string& out, std::int64_t value);  // as decimal text, as Redis expects
// A whole command: `*N` then each argument as a bulk string.
void write_command(std::string& out, std::initializer_list<std::string_view> args);

// --- reading ---

enum class Type : std::uint8_t {
  simple,      // +text
  error,       // -text, and RESP3 blob errors (!)
  integer,     // :n
  bulk,        // $n text, and RESP3 verbatim strings (=, without the "txt:" prefix)
  null,        // $-1, *-1, and RESP3 _
  array,       // *n, and RESP3 sets (~) and pushes (>)
  map,         // RESP3 %n: 2n children, key then value
  boolean,     // RESP3 #t/#f, as integer 1/0
  double_,     // RESP3 ,text (kept as text)
  big_number,  // RESP3 (text
};

struct Node {
  Type type = Type::null;
  std::uint32_t count = 0;  // children of an aggregate (a map's: keys and values)
  std::uint32_t span = 1;   // nodes in this subtree, itself included: the next sibling is at +span
  std::int64_t integer = 0;
  std::uint32_t offset = 0;  // text: where it starts in the buffer
  std::uint32_t length = 0;
};

struct Limits {
  std::size_t max_depth = 8;             // nested aggregates
  std::size_t max_elements = 1u << 20;   // nodes in one reply
  std::size_t max_string = 64u << 20;    // bytes of one bulk or simple string
  std::size_t max_aggregate = 1u << 20;  // children of one aggregate
};

enum class Status : std::uint8_t { complete, incomplete, invalid };

enum class ParseError : std::uint8_t {
  none,
  bad_type,        // a byte that starts no reply
  bad_length,      // a length or count that is not a number, or negative but -1
  bad_integer,     // an integer that is not one, or does not fit in 64 bits
  bad_terminator,  // a string not followed by CRLF, or a bare CR/LF in a line
  too_deep,
  too_many_elements,
  string_too_long,
  aggregate_too_large,
  unsupported,  // streamed strings and aggregates
};

struct Parsed {
  Status status = Status::incomplete;
  std::size_t end = 0;  // complete: the offset one past the reply
  ParseError error = ParseError::none;
};

// Reads the reply that starts at `from` in `buffer` and appends its nodes
// to `nodes` (on anything but complete, `nodes` is left as it was).
Parsed parse(std::string_view buffer, std::size_t from, std::vector<Node>& nodes,
             const Limits& limits = {});

// A reply's node seen through its (now still) buffer.
class Reply {
 public:
  Reply(const Node* node, std::string_view buffer) : node_(node), buffer_(buffer) {}

  Type type() const { return node_->type; }
  bool is_error() const { return node_->type == Type::error; }
  bool is_null() const { return node_->type == Type::null; }
  bool is_aggregate() const { return node_->type == Type::array || node_->type == Type::map; }
  bool is_text() const;  // simple, error, bulk, double, big number
  std::int64_t integer() const { return node_->integer; }
  std::string_view text() const { return buffer_.substr(node_->offset, node_->length); }
  std::uint32_t size() const { return node_->count; }
  // The i-th child (i < size()); walks past the earlier children's subtrees.
  Reply at(std::uint32_t i) const;

  // Iterates the children in order.
  class Iterator {
   public:
    Iterator(const Node* at, std::string_view buffer) : at_(at), buffer_(buffer) {}
    Reply operator*() const { return {at_, buffer_}; }
    Iterator& operator++() {
      at_ += at_->span;
      return *this;
    }
    bool operator==(const Iterator& o) const { return at_ == o.at_; }

   private:
    const Node* at_;
    std::string_view buffer_;
  };
  Iterator begin() const { return {node_ + 1, buffer_}; }
  Iterator end() const { return {node_ + node_->span, buffer_}; }

 private:
  const Node* node_;
  std::string_view buffer_;
};

}  // namespace cairn::codec::resp
