#include "codec/krpc.hpp"

#include <charconv>
#include <cstring>

#include "codec/bencode.hpp"

namespace cairn::codec::krpc {

namespace {

using Next = BencodeCursor::Next;

constexpr std::string_view kMethods[] = {"ping", "find_node", "get_peers", "announce_peer"};

Method method_of(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kMethods); ++i)
    if (name == kMethods[i]) return static_cast<Method>(i);
  return Method::unknown;
}

// One pass over a packet. Bencode errors end the walk (the packet is
// garbage); a known key with a bad value is remembered and the walk goes on,
// so that "t" and "y", wherever they sit, still decide whether a 203 may
// answer it.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in), cursor_(in) {}

  core::Result<Message, DecodeFailure> run() {
    if (!top_level()) return DecodeFailure{DecodeError::not_bencode, false, {}};
    const bool query = y_ == "q";
    if (y_ == "q")
      m_.type = Type::query;
    else if (y_ == "r")
      m_.type = Type::response;
    else if (y_ == "e")
      m_.type = Type::error;
    else
      return DecodeFailure{DecodeError::bad_type, false, m_.transaction};
    if (m_.transaction.empty()) return DecodeFailure{DecodeError::no_transaction, query, {}};
    if (!field_error_) check_required();
    if (field_error_) return DecodeFailure{DecodeError::bad_argument, query, m_.transaction};
    return m_;
  }

 private:
  // Containers allowed below a value of the top-level dict, and below one
  // of "a" or "r".
  static constexpr std::size_t kTopDepth = kMaxDepth - 1;
  static constexpr std::size_t kInnerDepth = kMaxDepth - 2;

  bool ok(BencodeError e) { return e == bencode_ok; }

  bool top_level() {
    if (cursor_.next() != Next::dict) return false;
    cursor_.enter();
    while (true) {
      const auto next = cursor_.next();
      if (next == Next::end) break;
      std::string_view key;
      if (next != Next::string || !take_item() || !ok(cursor_.read_string(key))) return false;
      if (!top_value(key)) return false;
    }
    cursor_.leave();
    return cursor_.at_end();
  }

  bool take_item() {
    if (items_ == 0) return false;
    --items_;
    return true;
  }

  // Reads the value of one top-level key; false on a bencode error.
  bool top_value(std::string_view key) {
    if (key == "t") return string(m_.transaction, 1, kMaxTransaction, true);
    if (key == "y") return string(y_, 1, 1, false);
    if (key == "q") return string(m_.method_name, 1, 32, true);
    if (key == "v") return string(m_.version, 0, 64, false);
    if (key == "ip") return address_field();
    if (key == "ro") return read_only();
    if (key == "a") return inner_dict(has_args_);
    if (key == "r") return inner_dict(has_reply_);
    if (key == "e") return error_list();
    return skip();
  }

  // Passes over a value at the current level, or inside one (nested).
  bool skip(bool nested = false) { return ok(cursor_.skip(nested ? level_ - 1 : level_, items_)); }

  // A bad value of a key we need is an argument error; of one we only
  // note ("v", "y"), it is ignored (run() then sees the key as absent).
  void bad(bool matters) { field_error_ = field_error_ || matters; }

  bool string(std::string_view& out, std::size_t min, std::size_t max, bool matters) {
    if (cursor_.next() != Next::string) {
      bad(matters);
      return skip();
    }
    std::string_view s;
    if (!take_item() || !ok(cursor_.read_string(s))) return false;
    if (s.size() < min || s.size() > max)
      bad(matters);
    else
      out = s;
    return true;
  }

  bool integer(std::int64_t& out, bool& present) {
    if (cursor_.next() != Next::integer) {
      bad(true);
      return skip();
    }
    if (!take_item() || !ok(cursor_.read_integer(out))) return false;
    present = true;
    return true;
  }

  bool address_field() {  // sizes other than 6 and 18 are ignored, not errors
    std::string_view ip;
    if (!string(ip, 0, kMaxPacket, false)) return false;
    if (ip.size() == 6 || ip.size() == 18) m_.ip = ip;
    return true;
  }

  bool read_only() {
    if (cursor_.next() != Next::integer) return skip();
    std::int64_t v = 0;
    if (!take_item() || !ok(cursor_.read_integer(v))) return false;
    m_.read_only = v != 0;
    return true;
  }

  // "a" of a query or "r" of a reply: both hold "id"; the codec reads every
  // key it knows from either and leaves the meaning to the message type.
  bool inner_dict(bool& seen) {
    if (cursor_.next() != Next::dict) {
      bad(true);
      return skip();
    }
    if (!take_item()) return false;
    seen = true;
    cursor_.enter();
    level_ = kInnerDepth;
    while (true) {
      const auto next = cursor_.next();
      if (next == Next::end) break;
      std::string_view key;
      if (next != Next::string || !take_item() || !ok(cursor_.read_string(key))) return false;
      if (!inner_value(key)) return false;
    }
    cursor_.leave();
    level_ = kTopDepth;
    return true;
  }

  bool inner_value(std::string_view key) {
    if (key == "id") return string(m_.id, kIdSize, kIdSize, true);
    if (key == "target") return string(m_.target, kIdSize, kIdSize, true);
    if (key == "info_hash") return string(m_.info_hash, kIdSize, kIdSize, true);
    if (key == "token") return string(m_.token, 1, kMaxToken, true);
    if (key == "nodes") return node_string(m_.nodes, kNodeSize4);
    if (key == "nodes6") return node_string(m_.nodes6, kNodeSize6);
    if (key == "port") return port();
    if (key == "implied_port") return flag(m_.implied_port);
    if (key == "seed") return flag(m_.seed);
    if (key == "want") return want();
    if (key == "values") return values();
    return skip();
  }

  bool node_string(std::string_view& out, std::size_t each) {
    std::string_view s;
    if (!string(s, 0, kMaxPacket, true)) return false;
    if (s.size() % each != 0)
      bad(true);
    else
      out = s;
    return true;
  }

  bool port() {
    std::int64_t v = 0;
    bool present = false;
    if (!integer(v, present)) return false;
    if (!present) return true;
    if (v < 1 || v > 65535)
      bad(true);
    else
      m_.port = static_cast<std::uint16_t>(v);
    return true;
  }

  bool flag(bool& out) {
    std::int64_t v = 0;
    bool present = false;
    if (!integer(v, present)) return false;
    out = present && v != 0;
    return true;
  }

  // BEP 32: a list of strings; "n4" and "n6" count, anything else is
  // ignored for future extensions.
  bool want() {
    if (cursor_.next() != Next::list) {
      bad(true);
      return skip();
    }
    if (!take_item()) return false;
    m_.want_present = true;
    cursor_.enter();
    while (cursor_.next() != Next::end) {
      if (cursor_.next() != Next::string) {
        if (!skip(true)) return false;
        continue;
      }
      std::string_view w;
      if (!take_item() || !ok(cursor_.read_string(w))) return false;
      m_.want_n4 = m_.want_n4 || w == "n4";
      m_.want_n6 = m_.want_n6 || w == "n6";
    }
    cursor_.leave();
    return true;
  }

  // A list of compact peers, 6 or 18 bytes each; anything else in it is an
  // argument error.
  bool values() {
    if (cursor_.next() != Next::list) {
      bad(true);
      return skip();
    }
    const std::size_t start = cursor_.position();
    if (!take_item()) return false;
    cursor_.enter();
    std::size_t count = 0;
    bool sound = true;
    while (cursor_.next() != Next::end) {
      if (cursor_.next() != Next::string) {
        sound = false;
        if (!skip(true)) return false;
        continue;
      }
      std::string_view v;
      if (!take_item() || !ok(cursor_.read_string(v))) return false;
      sound = sound && (v.size() == 6 || v.size() == 18);
      ++count;
    }
    cursor_.leave();
    if (!sound) {
      bad(true);
      return true;
    }
    m_.has_values = true;
    m_.values = in_.substr(start, cursor_.position() - start);
    m_.value_count = count;
    return true;
  }

  bool error_list() {
    if (cursor_.next() != Next::list) {
      bad(true);
      return skip();
    }
    if (!take_item()) return false;
    cursor_.enter();
    bool code = false;
    for (int i = 0; cursor_.next() != Next::end; ++i) {
      if (i == 0 && cursor_.next() == Next::integer) {
        if (!take_item() || !ok(cursor_.read_integer(m_.error_code))) return false;
        code = true;
      } else if (i == 1 && cursor_.next() == Next::string) {
        if (!take_item() || !ok(cursor_.read_string(m_.error_message))) return false;
      } else if (!skip(true)) {
        return false;
      }
    }
    cursor_.leave();
    if (!code) bad(true);
    return true;
  }

  // What each message type must carry (BEP 5); an argument error otherwise.
  void check_required() {
    switch (m_.type) {
      case Type::query:
        m_.method = method_of(m_.method_name);
        field_error_ = m_.method_name.empty() || !has_args_ || m_.id.empty() || !method_args();
        return;
      case Type::response:
        field_error_ = !has_reply_ || m_.id.empty();
        return;
      case Type::error:
        field_error_ = m_.error_code == 0;
        return;
    }
  }

  bool method_args() const {
    switch (m_.method) {
      case Method::find_node:
        return !m_.target.empty();
      case Method::get_peers:
        return !m_.info_hash.empty();
      case Method::announce_peer:
        return !m_.info_hash.empty() && !m_.token.empty() && (m_.port || m_.implied_port);
      default:
        return true;
    }
  }

  std::string_view in_;
  BencodeCursor cursor_;
  std::size_t items_ = kMaxItems;
  std::size_t level_ = kTopDepth;
  Message m_;
  std::string_view y_;
  bool has_args_ = false;
  bool has_reply_ = false;
  bool field_error_ = false;
};

// Appends to a caller's buffer; remembers running out of room instead of
// writing past it, and reports 0 bytes then. With no buffer it only counts.
class Writer {
 public:
  explicit Writer(std::span<std::uint8_t> out, bool counting = false)
      : out_(out), counting_(counting) {}

  void raw(std::string_view s) {
    if (!counting_ && (overflow_ || s.size() > out_.size() - n_)) {
      overflow_ = true;
      return;
    }
    if (!counting_ && !s.empty()) std::memcpy(out_.data() + n_, s.data(), s.size());
    n_ += s.size();
  }
  void raw(const std::uint8_t* p, std::size_t size) {
    raw(std::string_view(reinterpret_cast<const char*>(p), size));
  }
  void decimal(std::int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;  // 24 bytes hold any 64-bit integer
    raw(std::string_view(buf, static_cast<std::size_t>(end - buf)));
  }
  void string(std::string_view s) {
    decimal(static_cast<std::int64_t>(s.size()));
    raw(":");
    raw(s);
  }
  void integer(std::int64_t v) {
    raw("i");
    decimal(v);
    raw("e");
  }
  void compact(const core::Endpoint& e) {
    std::uint8_t buf[18];
    e.write_compact(buf);
    string(std::string_view(reinterpret_cast<const char*>(buf), e.compact_size()));
  }
  // The keys every reply and error ends with, in sorted order after "ip".
  void tail(std::string_view transaction, std::string_view version, char type) {
    raw("1:t");
    string(transaction);
    if (!version.empty()) {
      raw("1:v");
      string(version);
    }
    raw("1:y1:");
    raw(std::string_view(&type, 1));
    raw("e");
  }
  std::size_t size() const { return overflow_ ? 0 : n_; }

 private:
  std::span<std::uint8_t> out_;
  std::size_t n_ = 0;
  bool counting_;
  bool overflow_ = false;
};

void write_reply(const Reply& r, Writer& w) {
  w.raw("d2:ip");
  w.compact(r.requester);
  w.raw("1:rd2:id");
  w.string(r.id);
  if (r.nodes) {
    w.raw("5:nodes");
    w.string(*r.nodes);
  }
  if (r.nodes6) {
    w.raw("6:nodes6");
    w.string(*r.nodes6);
  }
  if (r.token) {
    w.raw("5:token");
    w.string(*r.token);
  }
  if (r.value_size != 0) {
    w.raw("6:valuesl");
    // Every value has the same length: its prefix ("6:", "18:") is made once.
    char prefix[24];
    auto [end, ec] = std::to_chars(prefix, prefix + sizeof prefix - 1, r.value_size);
    (void)ec;  // 23 bytes hold any size
    *end++ = ':';
    const std::string_view length(prefix, static_cast<std::size_t>(end - prefix));
    for (std::size_t i = 0; i + r.value_size <= r.values.size(); i += r.value_size) {
      w.raw(length);
      w.raw(r.values.substr(i, r.value_size));
    }
    w.raw("e");
  }
  w.raw("e");
  w.tail(r.transaction, r.version, 'r');
}

}  // namespace

std::string_view method_name(Method m) {
  const auto i = static_cast<std::size_t>(m);
  return i < std::size(kMethods) ? kMethods[i] : std::string_view{};
}

core::Result<Message, DecodeFailure> decode(std::span<const std::uint8_t> packet) {
  if (packet.size() > kMaxPacket) return DecodeFailure{DecodeError::too_large, false, {}};
  const std::string_view in(reinterpret_cast<const char*>(packet.data()), packet.size());
  return Decoder(in).run();
}

std::size_t write_compact_node(std::string_view id, const core::Endpoint& at, std::uint8_t* out) {
  std::memcpy(out, id.data(), kIdSize);
  at.write_compact(out + kIdSize);
  return kIdSize + at.compact_size();
}

std::optional<core::Endpoint> parse_compact_endpoint(std::string_view bytes) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  core::Endpoint e;
  if (bytes.size() == 6)
    e.address = core::Address::v4(std::span<const std::uint8_t, 4>(p, 4));
  else if (bytes.size() == 18)
    e.address = core::Address::v6(std::span<const std::uint8_t, 16>(p, 16));
  else
    return std::nullopt;
  // The port follows the address as sent (an IPv4-mapped IPv6 address is
  // IPv4 now, but its port is still at byte 16).
  const std::size_t port_at = bytes.size() - 2;
  e.port = static_cast<std::uint16_t>(p[port_at] << 8 | p[port_at + 1]);
  return e;
}

std::size_t encode_query(const Query& q, std::span<std::uint8_t> out) {
  Writer w(out);
  w.raw("d1:ad2:id");
  w.string(q.id);
  if (q.implied_port) w.raw("12:implied_porti1e");
  if (!q.info_hash.empty()) {
    w.raw("9:info_hash");
    w.string(q.info_hash);
  }
  if (q.port != 0) {
    w.raw("4:port");
    w.integer(q.port);
  }
  if (q.seed) w.raw("4:seedi1e");
  if (!q.target.empty()) {
    w.raw("6:target");
    w.string(q.target);
  }
  if (!q.token.empty()) {
    w.raw("5:token");
    w.string(q.token);
  }
  if (q.want_n4 || q.want_n6) {
    w.raw("4:wantl");
    if (q.want_n4) w.raw("2:n4");
    if (q.want_n6) w.raw("2:n6");
    w.raw("e");
  }
  w.raw("e1:q");
  w.string(q.method == Method::unknown ? q.method_name : method_name(q.method));
  if (q.read_only) w.raw("2:roi1e");
  w.tail(q.transaction, q.version, 'q');
  return w.size();
}

std::size_t encode_reply(const Reply& r, std::span<std::uint8_t> out) {
  Writer w(out);
  write_reply(r, w);
  return w.size();
}

std::size_t reply_size(const Reply& r) {
  Reply empty = r;
  empty.values = {};
  Writer w({}, true);
  write_reply(empty, w);
  return w.size();
}

std::size_t encode_error(std::string_view transaction, ErrorCode code, std::string_view text,
                         const core::Endpoint& requester, std::span<std::uint8_t> out,
                         std::string_view version) {
  Writer w(out);
  w.raw("d1:eli");
  w.decimal(static_cast<std::int64_t>(code));
  w.raw("e");
  w.string(text);
  w.raw("e2:ip");
  w.compact(requester);
  w.tail(transaction, version, 'e');
  return w.size();
}

}  // namespace cairn::codec::krpc
