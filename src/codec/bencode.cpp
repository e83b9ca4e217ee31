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
constexpr Error kOk = bencode_ok;

// Recursive descent over a cursor. Recursion is bounded by max_depth, so the
// stack cannot be exhausted by hostile nesting.
class Decoder {
 public:
  Decoder(std::string_view in, const BdecodeLimits& limits) : cursor_(in), limits_(limits) {}

  Error value(BValue& out, std::size_t depth) {
    const auto next = cursor_.next();
    if (next == BencodeCursor::Next::none) return Error::truncated;
    if (++items_ > limits_.max_items) return Error::too_many_items;
    switch (next) {
      case BencodeCursor::Next::integer:
        out.kind = BValue::Kind::integer;
        return cursor_.read_integer(out.integer);
      case BencodeCursor::Next::string:
        out.kind = BValue::Kind::string;
        return cursor_.read_string(out.string);
      case BencodeCursor::Next::list:
      case BencodeCursor::Next::dict:
        if (depth + 1 > limits_.max_depth) return Error::depth_exceeded;
        cursor_.enter();
        return next == BencodeCursor::Next::list ? list(out, depth + 1) : dict(out, depth + 1);
      default:
        return Error::bad_type;
    }
  }

  bool at_end() const { return cursor_.at_end(); }

 private:
  Error list(BValue& out, std::size_t depth) {
    out.kind = BValue::Kind::list;
    while (true) {
      const auto next = cursor_.next();
      if (next == BencodeCursor::Next::none) return Error::truncated;
      if (next == BencodeCursor::Next::end) break;
      out.list.emplace_back();
      if (auto e = value(out.list.back(), depth); e != kOk) return e;
    }
    cursor_.leave();
    return kOk;
  }

  Error dict(BValue& out, std::size_t depth) {
    out.kind = BValue::Kind::dict;
    while (true) {
      const auto next = cursor_.next();
      if (next == BencodeCursor::Next::none) return Error::truncated;
      if (next == BencodeCursor::Next::end) break;
      if (next != BencodeCursor::Next::string) return Error::bad_key;
      if (++items_ > limits_.max_items) return Error::too_many_items;
      std::string_view key;
      if (auto e = cursor_.read_string(key); e != kOk) return e;
      if (!out.dict.empty() && !(out.dict.back().first < key)) return Error::bad_key;
      out.dict.emplace_back().first = key;
      if (auto e = value(out.dict.back().second, depth); e != kOk) return e;
    }
    cursor_.leave();
    return kOk;
  }

  BencodeCursor cursor_;
  const BdecodeLimits& limits_;
  std::size_t items_ = 0;
};

}  // namespace

BencodeCursor::Next BencodeCursor::next() const {
  if (pos_ >= in_.size()) return Next::none;
  const char c = in_[pos_];
  if (c == 'i') return Next::integer;
  if (c >= '0' && c <= '9') return Next::string;
  if (c == 'l') return Next::list;
  if (c == 'd') return Next::dict;
  if (c == 'e') return Next::end;
  return Next::bad;
}

Error BencodeCursor::truncated_or_bad(std::string_view rest, Error bad) {
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    const bool ok = (c >= '0' && c <= '9') || (c == '-' && i == 0 && bad == Error::bad_integer);
    if (!ok) return bad;
  }
  return Error::truncated;
}

// Canonical form only: no leading zeros, no "-0", no '+', no overflow.
Error BencodeCursor::read_integer(std::int64_t& out) {
  if (pos_ >= in_.size()) return Error::truncated;
  if (in_[pos_] != 'i') return Error::bad_type;
  const std::size_t start = pos_ + 1;
  const auto end = in_.find('e', start);
  if (end == std::string_view::npos) return truncated_or_bad(in_.substr(start), Error::bad_integer);
  const auto digits = in_.substr(start, end - start);
  const bool negative = !digits.empty() && digits[0] == '-';
  const auto magnitude = negative ? digits.substr(1) : digits;
  if (magnitude.empty() || (magnitude[0] == '0' && (magnitude.size() > 1 || negative)))
    return Error::bad_integer;
  for (char c : magnitude)
    if (c < '0' || c > '9') return Error::bad_integer;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc{} || p != digits.data() + digits.size()) return Error::bad_integer;
  out = v;
  pos_ = end + 1;
  return kOk;
}

Error BencodeCursor::read_string(std::string_view& out) {
  const auto colon = in_.find(':', pos_);
  if (colon == std::string_view::npos)
    return truncated_or_bad(in_.substr(pos_), Error::bad_string_length);
  const auto digits = in_.substr(pos_, colon - pos_);
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

Error BencodeCursor::skip(std::size_t max_depth, std::size_t& items) {
  if (items == 0) return Error::too_many_items;
  --items;
  const auto kind = next();
  switch (kind) {
    case Next::integer: {
      std::int64_t ignored;
      return read_integer(ignored);
    }
    case Next::string: {
      std::string_view ignored;
      return read_string(ignored);
    }
    case Next::list:
    case Next::dict:
      break;
    case Next::none:
      return Error::truncated;
    default:
      return Error::bad_type;
  }
  if (max_depth == 0) return Error::depth_exceeded;
  enter();
  for (bool key = kind == Next::dict;; key = key ? false : kind == Next::dict) {
    const auto n = next();
    if (n == Next::none) return Error::truncated;
    if (n == Next::end) {
      if (kind == Next::dict && !key) return Error::bad_type;  // a key without its value
      break;
    }
    if (key && n != Next::string) return Error::bad_key;
    if (auto e = skip(max_depth - 1, items); e != kOk) return e;
  }
  leave();
  return kOk;
}

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
  if (auto e = decoder.value(root, 0); e != kOk) return e;
  if (!decoder.at_end()) return BencodeError::trailing_data;
  return root;
}

}  // namespace cairn::codec
