#include "codec/bencode.hpp"

#include <charconv>

namespace cairn::codec {

namespace {

template <class T>
void append_decimal(std::string& out, T v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 24 bytes hold any 64-bit integer
  out.append(buf, end);
}

using Error = BencodeError;

// Recursive descent over a cursor. Recursion is bounded by max_depth, so the
// stack cannot be exhausted by hostile nesting.
class Decoder {
 public:
  Decoder(std::string_view in, const BdecodeLimits& limits) : in_(in), limits_(limits) {}

  Error value(BValue& out, std::size_t depth) {
    if (pos_ >= in_.size()) return Error::truncated;
    if (++items_ > limits_.max_items) return Error::too_many_items;
    char c = in_[pos_];
    if (c == 'i') return integer(out);
    if (c >= '0' && c <= '9') {
      out.kind = BValue::Kind::string;
      return string(out.string);
    }
    if (c != 'l' && c != 'd') return Error::bad_type;
    if (depth + 1 > limits_.max_depth) return Error::depth_exceeded;
    ++pos_;
    return c == 'l' ? list(out, depth + 1) : dict(out, depth + 1);
  }

  bool at_end() const { return pos_ == in_.size(); }

 private:
  static constexpr Error kOk = Error{0};

  // Canonical form only: no leading zeros, no "-0", no '+', no overflow.
  Error integer(BValue& out) {
    ++pos_;  // 'i'
    auto end = in_.find('e', pos_);
    if (end == std::string_view::npos)
      return truncated_or_bad(in_.substr(pos_), Error::bad_integer);
    auto digits = in_.substr(pos_, end - pos_);
    bool negative = !digits.empty() && digits[0] == '-';
    auto magnitude = negative ? digits.substr(1) : digits;
    if (magnitude.empty() || (magnitude[0] == '0' && (magnitude.size() > 1 || negative)))
      return Error::bad_integer;
    for (char c : magnitude)
      if (c < '0' || c > '9') return Error::bad_integer;
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc{} || p != digits.data() + digits.size()) return Error::bad_integer;
    out.kind = BValue::Kind::integer;
    out.integer = v;
    pos_ = end + 1;
    return kOk;
  }

  // A prefix that could still become valid is truncated; otherwise `bad`.
  static Error truncated_or_bad(std::string_view rest, Error bad) {
    for (std::size_t i = 0; i < rest.size(); ++i) {
      char c = rest[i];
      bool ok = (c >= '0' && c <= '9') || (c == '-' && i == 0 && bad == Error::bad_integer);
      if (!ok) return bad;
    }
    return Error::truncated;
  }

  Error string(std::string_view& out) {
    auto colon = in_.find(':', pos_);
    if (colon == std::string_view::npos)
      return truncated_or_bad(in_.substr(pos_), Error::bad_string_length);
    auto digits = in_.substr(pos_, colon - pos_);
    if (digits.empty() || digits.size() > 18 || (digits[0] == '0' && digits.size() > 1))
      return Error::bad_string_length;
    std::size_t len = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc{} || p != digits.data() + digits.size()) return Error::bad_string_length;
    if (len > in_.size() - colon - 1) return Error::bad_string_length;
    out = in_.substr(colon + 1, len);
    pos_ = colon + 1 + len;
    return kOk;
  }

  Error list(BValue& out, std::size_t depth) {
    out.kind = BValue::Kind::list;
    while (true) {
      if (pos_ >= in_.size()) return Error::truncated;
      if (in_[pos_] == 'e') break;
      out.list.emplace_back();
      if (auto e = value(out.list.back(), depth); e != kOk) return e;
    }
    ++pos_;
    return kOk;
  }

  Error dict(BValue& out, std::size_t depth) {
    out.kind = BValue::Kind::dict;
    while (true) {
      if (pos_ >= in_.size()) return Error::truncated;
      char c = in_[pos_];
      if (c == 'e') break;
      if (c < '0' || c > '9') return Error::bad_key;
      if (++items_ > limits_.max_items) return Error::too_many_items;
      std::string_view key;
      if (auto e = string(key); e != kOk) return e;
      if (!out.dict.empty() && !(out.dict.back().first < key)) return Error::bad_key;
      out.dict.emplace_back().first = key;
      if (auto e = value(out.dict.back().second, depth); e != kOk) return e;
    }
    ++pos_;
    return kOk;
  }

  std::string_view in_;
  const BdecodeLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t items_ = 0;
};

}  // namespace

void BencodeWriter::integer(std::int64_t v) {
  out_.push_back('i');
  append_decimal(out_, v);
  out_.push_back('e');
}

void BencodeWriter::string(std::string_view s) {
  append_decimal(out_, s.size());
  out_.push_back(':');
  out_.append(s);
}

const BValue* BValue::find(std::string_view key) const {
  if (kind != Kind::dict) return nullptr;
  for (const auto& [k, v] : dict)
    if (k == key) return &v;
  return nullptr;
}

core::Result<BValue, BencodeError> bdecode(std::string_view input, const BdecodeLimits& limits) {
  Decoder decoder(input, limits);
  BValue root;
  if (auto e = decoder.value(root, 0); e != BencodeError{0}) return e;
  if (!decoder.at_end()) return BencodeError::trailing_data;
  return root;
}

}  // namespace cairn::codec
