#include "codec/resp.hpp"

#include <charconv>
#include <cstring>
#include <limits>

namespace cairn::codec::resp {

void write_array_header(std::string& out, std::size_t count) {
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof digits, count);
  out.push_back('*');
  out.append(digits, r.ptr);
  out.append("\r\n");
}

namespace {

// A script call is some twenty short arguments (keys, numbers, a peer id),
// and every std::string::append checks and may grow the string: a short
// one is composed on the stack and appended once.
constexpr std::size_t kShort = 128;

}  // namespace

void write_bulk(std::string& out, std::string_view value) {
  char text[1 + 20 + 2 + kShort + 2];
  char* p = text;
  *p++ = '$';
  p = std::to_chars(p, p + 20, value.size()).ptr;
  *p++ = '\r';
  *p++ = '\n';
  if (value.size() > kShort) {
    out.append(text, p);
    out.append(value);
    out.append("\r\n", 2);
    return;
  }
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p++ = '\n';
  out.append(text, p);
}

void write_bulk(std::string& out, std::int64_t value) {
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof digits, value);
  write_bulk(out, std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
}

void write_command(std::string& out, std::initializer_list<std::string_view> args) {
  write_array_header(out, args.size());
  for (std::string_view a : args) write_bulk(out, a);
}

bool Reply::is_text() const {
  switch (node_->type) {
    case Type::simple:
    case Type::error:
    case Type::bulk:
    case Type::double_:
    case Type::big_number:
      return true;
    default:
      return false;
  }
}

Reply Reply::at(std::uint32_t i) const {
  const Node* n = node_ + 1;
  for (; i > 0; --i) n += n->span;
  return {n, buffer_};
}

namespace {

// Longest line that holds a number (a length, a count, an integer) or a
// boolean; a longer one is not RESP.
constexpr std::size_t kMaxNumberLine = 24;

bool parse_int(std::string_view text, std::int64_t& out) {
  if (text.empty() || text.front() == '+') return false;
  auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

// The parser's state while it reads one reply.
class Reader {
 public:
  Reader(std::string_view buffer, std::size_t from, std::vector<Node>& nodes, const Limits& limits)
      : buf_(buffer), pos_(from), nodes_(nodes), limits_(limits), first_(nodes.size()) {}

  Parsed run();

 private:
  struct Frame {
    std::size_t node;        // index in nodes_
    std::size_t remaining;   // children still to read
    bool attribute = false;  // dropped when complete; not an element of its parent
  };

  // One element at pos_: a scalar is appended whole, an aggregate opens a
  // frame. False with status_/error_ set when it cannot be read (yet).
  bool element();
  bool scalar_line(char type, std::string_view line);
  bool bulk(char type, std::string_view line);
  bool aggregate(char type, std::string_view line);
  // The line from pos_ to the next CRLF (advancing past it), at most `max`
  // bytes long.
  bool line(std::size_t max, std::string_view& out);
  bool fail(ParseError e) {
    status_ = Status::invalid;
    error_ = e;
    return false;
  }
  bool more() {
    status_ = Status::incomplete;
    return false;
  }
  bool push(const Node& n);
  // One element of the innermost frame is done; closes the frames it
  // completes. True when the whole reply is.
  bool finished_one();

  std::string_view buf_;
  std::size_t pos_;
  std::vector<Node>& nodes_;
  const Limits& limits_;
  std::size_t first_;
  std::vector<Frame> stack_;
  Status status_ = Status::incomplete;
  ParseError error_ = ParseError::none;
};

Parsed Reader::run() {
  if (buf_.size() > std::numeric_limits<std::uint32_t>::max())
    return {Status::invalid, 0, ParseError::string_too_long};
  while (true) {
    const std::size_t before = nodes_.size();
    const std::size_t depth = stack_.size();
    if (!element()) break;
    if (stack_.size() > depth) continue;    // an aggregate opened: its children come next
    if (nodes_.size() == before) continue;  // an empty attribute: no element yet
    // A scalar, or an aggregate with no children, completes an element.
    if (finished_one()) return {Status::complete, pos_, ParseError::none};
  }
  nodes_.resize(first_);
  return {status_, 0, error_};
}

bool Reader::line(std::size_t max, std::string_view& out) {
  const std::size_t start = pos_;
  const std::size_t cr = buf_.find('\r', start);
  if (cr == std::string_view::npos) {
    if (buf_.size() - start > max) return fail(ParseError::string_too_long);
    return more();
  }
  if (cr - start > max) return fail(ParseError::string_too_long);
  if (cr + 1 >= buf_.size()) return more();
  if (buf_[cr + 1] != '\n') return fail(ParseError::bad_terminator);
  out = buf_.substr(start, cr - start);
  if (out.find('\n') != std::string_view::npos) return fail(ParseError::bad_terminator);
  pos_ = cr + 2;
  return true;
}

bool Reader::push(const Node& n) {
  if (nodes_.size() - first_ >= limits_.max_elements) return fail(ParseError::too_many_elements);
  nodes_.push_back(n);
  return true;
}

bool Reader::element() {
  if (pos_ >= buf_.size()) return more();
  const char type = buf_[pos_];
  ++pos_;
  std::string_view text;
  switch (type) {
    case '+':
    case '-':
      if (!line(limits_.max_string, text)) return false;
      return scalar_line(type, text);
    case ':':
    case '_':
    case '#':
    case ',':
    case '(':
      if (!line(type == ',' || type == '(' ? limits_.max_string : kMaxNumberLine, text))
        return false;
      return scalar_line(type, text);
    case '$':
    case '!':
    case '=':
      if (!line(kMaxNumberLine, text)) return false;
      return bulk(type, text);
    case '*':
    case '%':
    case '~':
    case '>':
    case '|':
      if (!line(kMaxNumberLine, text)) return false;
      return aggregate(type, text);
    default:
      return fail(ParseError::bad_type);
  }
}

bool Reader::scalar_line(char type, std::string_view text) {
  Node n;
  n.offset = static_cast<std::uint32_t>(text.data() - buf_.data());
  n.length = static_cast<std::uint32_t>(text.size());
  switch (type) {
    case '+':
      n.type = Type::simple;
      break;
    case '-':
      n.type = Type::error;
      break;
    case ':':
      n.type = Type::integer;
      if (!parse_int(text, n.integer)) return fail(ParseError::bad_integer);
      n.length = 0;
      break;
    case '_':
      if (!text.empty()) return fail(ParseError::bad_terminator);
      n.type = Type::null;
      break;
    case '#':
      if (text != "t" && text != "f") return fail(ParseError::bad_integer);
      n.type = Type::boolean;
      n.integer = text == "t" ? 1 : 0;
      n.length = 0;
      break;
    case ',':
      if (text.empty()) return fail(ParseError::bad_integer);
      n.type = Type::double_;
      break;
    default: {  // '(': digits with an optional sign
      const std::string_view digits = !text.empty() && text[0] == '-' ? text.substr(1) : text;
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos)
        return fail(ParseError::bad_integer);
      n.type = Type::big_number;
    }
  }
  return push(n);
}

bool Reader::bulk(char type, std::string_view line_text) {
  if (line_text == "?") return fail(ParseError::unsupported);
  std::int64_t size = 0;
  if (!parse_int(line_text, size) || size < -1) return fail(ParseError::bad_length);
  Node n;
  if (size == -1) {
    if (type != '$') return fail(ParseError::bad_length);
    n.type = Type::null;
    return push(n);
  }
  const auto length = static_cast<std::size_t>(size);
  if (length > limits_.max_string) return fail(ParseError::string_too_long);
  if (buf_.size() - pos_ < length + 2) return more();
  if (buf_[pos_ + length] != '\r' || buf_[pos_ + length + 1] != '\n')
    return fail(ParseError::bad_terminator);
  n.type = type == '!' ? Type::error : Type::bulk;
  n.offset = static_cast<std::uint32_t>(pos_);
  n.length = static_cast<std::uint32_t>(length);
  if (type == '=') {  // "txt:..." or "mkd:...": three letters and a colon
    if (length < 4 || buf_[pos_ + 3] != ':') return fail(ParseError::bad_length);
    n.offset += 4;
    n.length -= 4;
  }
  pos_ += length + 2;
  return push(n);
}

bool Reader::aggregate(char type, std::string_view line_text) {
  if (line_text == "?") return fail(ParseError::unsupported);
  std::int64_t count = 0;
  if (!parse_int(line_text, count) || count < -1) return fail(ParseError::bad_length);
  Node n;
  if (count == -1) {
    if (type != '*') return fail(ParseError::bad_length);
    n.type = Type::null;
    return push(n);
  }
  const bool pairs = type == '%' || type == '|';
  if (static_cast<std::uint64_t>(count) > limits_.max_aggregate / (pairs ? 2 : 1))
    return fail(ParseError::aggregate_too_large);
  const auto children = static_cast<std::size_t>(count) * (pairs ? 2 : 1);
  n.type = type == '%' ? Type::map : Type::array;
  n.count = static_cast<std::uint32_t>(children);
  if (stack_.size() >= limits_.max_depth) return fail(ParseError::too_deep);
  const std::size_t at = nodes_.size();
  if (!push(n)) return false;
  if (children > 0)
    stack_.push_back({at, children, type == '|'});
  else if (type == '|')
    nodes_.pop_back();  // an empty attribute is no element at all
  return true;
}

bool Reader::finished_one() {
  while (!stack_.empty()) {
    Frame& top = stack_.back();
    if (--top.remaining > 0) return false;
    const Frame done = top;
    stack_.pop_back();
    if (done.attribute) {
      nodes_.resize(done.node);  // read and dropped: the element is what follows
      return false;
    }
    nodes_[done.node].span = static_cast<std::uint32_t>(nodes_.size() - done.node);
  }
  return true;
}

}  // namespace

Parsed parse(std::string_view buffer, std::size_t from, std::vector<Node>& nodes,
             const Limits& limits) {
  return Reader(buffer, from, nodes, limits).run();
}

}  // namespace cairn::codec::resp
