#include "store/redis/redis_record_store.hpp"

#include <sodium.h>

#include <charconv>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "store/redis/keys.hpp"
#include "store/redis/record_scripts.hpp"
#include "store/redis/sweep.hpp"

namespace cairn::store::redis {

using codec::resp::Reply;
using codec::resp::Type;

namespace {

struct Scratch {
  Batch batch;
  Replies replies;
  std::string key;
  std::string packed;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

constexpr int kNeedQuota = 7;
constexpr std::int64_t kPage = 64;                        // records per look-up call
constexpr std::int64_t kSweepTopics = 128;                // due topics per sweep call
constexpr std::size_t kPackedHead = 17 + 8 + 64 + 8 + 8;  // before the body

core::Result<std::uint64_t, RecordStoreError> error_of(int status) {
  switch (status) {
    case 1:
      return RecordStoreError::topic_full;
    case 2:
      return RecordStoreError::address_quota;
    case 3:
      return RecordStoreError::tracker_full;
    case 4:
      return RecordStoreError::not_owner;
    case 5:
      return RecordStoreError::stale_sequence;
    case 6:
      return RecordStoreError::not_found;
    default:
      return RecordStoreError::busy;
  }
}

// A source's quota unit as the scripts make it: '4' and the IPv4 address,
// or '6' and the IPv6 /64.
std::string unit_of(const core::Address& a) {
  std::string u(1, a.family == core::Family::v4 ? '4' : '6');
  u.append(reinterpret_cast<const char*>(a.bytes.data()), a.family == core::Family::v4 ? 4 : 8);
  return u;
}

std::string_view quota_key(std::string& buffer, std::string_view ns, std::string_view unit) {
  const Hex tag({reinterpret_cast<const std::uint8_t*>(unit.data()), unit.size()});
  return key_name(buffer, ns, "q", tag.view());
}

void put_be64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
std::uint64_t get_be64(std::string_view in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<unsigned char>(in[static_cast<size_t>(i)]);
  return v;
}
std::string_view bytes_of(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

void pack_source(std::string& out, const core::Address& a) {
  out.push_back(a.family == core::Family::v4 ? 4 : 6);
  out.append(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size());
}

bool to_u64(std::string_view text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// A version for a new topic's first record: anywhere in [1, 2^50], far
// from any earlier life's range and exact in Lua's doubles for 2^53.
std::string version_start() {
  std::uint64_t x;
  randombytes_buf(&x, sizeof x);
  return std::to_string((x >> 14) + 1);
}

}  // namespace

// A put's or remove's reply.
struct RedisRecordStore::Change {
  int status = -1;
  std::uint64_t version = 0;
  bool used_reservation = false;
  std::string moved;                  // put: the unit the record moved from; remove: its unit
  std::vector<std::string> released;  // units whose counts go back
};

RedisRecordStore::RedisRecordStore(std::shared_ptr<RedisLink> link, RedisOptions options,
                                   RecordLimits limits)
    : link_(std::move(link)), options_(std::move(options)), limits_(limits) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  Scratch& s = scratch();
  const std::string name =
      std::string(key_name(s.key, options_.name_space, "epoch", options_.name_space));
  const std::string mine = std::to_string(randombytes_random());
  s.batch.clear();
  s.batch.command(key_slot(name));
  for (std::string_view a :
       {std::string_view("SET"), std::string_view(name), std::string_view(mine),
        std::string_view("NX"), std::string_view("GET")})
    s.batch.arg(a);
  link_->exec(s.batch, s.replies);
  if (!s.replies.answered(0) || s.replies.at(0).is_error())
    throw std::runtime_error("the Redis cluster did not answer for the rendezvous records' epoch");
  const Reply r = s.replies.at(0);
  std::uint64_t epoch = 0;
  to_u64(r.is_null() ? std::string_view(mine) : r.text(), epoch);
  epoch_ = static_cast<std::uint32_t>(epoch);
  swept_topics_ = static_cast<std::int64_t>(stats().topics);
}

std::int64_t RedisRecordStore::key_ttl() const {
  // A record lives at most max_ttl (= tombstone_ttl) from its last put,
  // and its tombstone as long again.
  return 2 * std::int64_t{limits_.tombstone_ttl} + options_.grace;
}

bool RedisRecordStore::may_create() const {
  return swept_topics_.load() + topics_since_.load() + 1 <=
         static_cast<std::int64_t>(limits_.max_topics);
}

void RedisRecordStore::add_put(Batch& b, const RecordPut& p, bool reserved, bool create) const {
  Scratch& s = scratch();
  const std::string_view ns = options_.name_space;
  const Hex t(p.topic.bytes);
  const std::uint16_t slot = t.slot();
  b.script(slot, put_script());
  b.arg(std::int64_t{7});
  for (std::string_view kind : {"m", "r", "v", "e", "k"})
    b.arg(key_name(s.key, ns, kind, t.view()));
  b.arg(key_name(s.key, ns, "rx", slot_tag(slot)));
  b.arg(key_name(s.key, ns, "rc", slot_tag(slot)));
  const std::int64_t now = shared(p.now), expires = now + std::int64_t{p.ttl};
  s.packed.clear();
  pack_source(s.packed, p.source);
  put_be64(s.packed, p.seq);
  s.packed.append(bytes_of(p.signature));
  put_be64(s.packed, static_cast<std::uint64_t>(now));
  put_be64(s.packed, static_cast<std::uint64_t>(expires));
  s.packed.append(p.body);
  b.arg(ns);
  b.arg(t.view());
  b.arg(bytes_of(p.id.view()));
  b.arg(now);
  b.arg(s.packed);
  b.arg(unit_of(p.source));
  b.arg(std::string_view(s.packed).substr(17, 8));
  b.arg(expires);
  b.arg(std::int64_t{limits_.tombstone_ttl});
  b.arg(std::int64_t{limits_.max_records_per_topic});
  b.arg(std::int64_t{(p.may_grow ? 1 : 0) | (create ? 2 : 0) | (reserved ? 4 : 0)});
  b.arg(version_start());
  b.arg(key_ttl());
}

bool RedisRecordStore::read_change(const Replies& replies, std::size_t i, std::uint16_t slot,
                                   Change& c) {
  c.status = -1;
  if (!replies.answered(i)) return false;
  const Reply r = replies.at(i);
  if (r.type() != Type::array || r.size() < 7) return false;
  std::int64_t head[5];
  auto it = r.begin();
  for (std::int64_t& v : head) {
    if ((*it).type() != Type::integer) return false;
    v = (*it).integer();
    ++it;
  }
  c.status = static_cast<int>(head[0]);
  c.version = static_cast<std::uint64_t>(head[1]);
  c.used_reservation = head[2] != 0;
  topics_since_ += head[3] - head[4];
  c.moved = (*it).is_text() ? std::string((*it).text()) : std::string();
  ++it;
  due_.note(slot, (*it).type() == Type::integer ? (*it).integer() : 0);
  for (++it; it != r.end(); ++it)
    if ((*it).is_text()) c.released.emplace_back((*it).text());
  return true;
}

void RedisRecordStore::settle_quota(const Change& c, const core::Address* to) {
  Scratch& s = scratch();
  s.batch.clear();
  auto give = [&](std::string_view unit) {
    const std::string_view k = quota_key(s.key, options_.name_space, unit);
    s.batch.script(key_slot(k), quota_give_script());
    s.batch.arg(std::int64_t{1});
    s.batch.arg(k);
  };
  for (const std::string& unit : c.released) give(unit);
  if (!c.moved.empty()) give(c.moved);
  if (to != nullptr) {  // a replaced record counts against its new source, even past the cap
    const std::string_view k = quota_key(s.key, options_.name_space, unit_of(*to));
    s.batch.script(key_slot(k), quota_take_script());
    s.batch.arg(std::int64_t{1});
    s.batch.arg(k);
    s.batch.arg(std::numeric_limits<std::int64_t>::max());
    s.batch.arg(std::int64_t{limits_.tombstone_ttl} + options_.grace);
  }
  if (s.batch.empty()) return;
  link_->exec(s.batch, s.replies);
  for (std::size_t i = 0; i < s.replies.size(); ++i)
    if (!s.replies.answered(i) || s.replies.at(i).is_error()) fail();
}

core::Result<std::uint64_t, RecordStoreError> RedisRecordStore::put(const RecordPut& p) {
  Scratch& s = scratch();
  const std::string unit = unit_of(p.source);
  const std::string qkey(quota_key(s.key, options_.name_space, unit));
  const std::int64_t quota_ttl = std::int64_t{limits_.tombstone_ttl} + options_.grace;
  // The put, and beside it (no extra wait) the renewal of its source's
  // quota count: a count lives while its address keeps registering.
  s.batch.clear();
  add_put(s.batch, p, false, may_create());
  s.batch.command(key_slot(qkey));
  s.batch.arg("EXPIRE");
  s.batch.arg(qkey);
  s.batch.arg(quota_ttl);
  link_->exec(s.batch, s.replies);
  Change c;
  const std::uint16_t slot = Hex(p.topic.bytes).slot();
  if (!read_change(s.replies, 0, slot, c)) {
    fail();
    return RecordStoreError::busy;
  }
  if (c.status == kNeedQuota) {
    s.batch.clear();
    s.batch.script(key_slot(qkey), quota_take_script());
    s.batch.arg(std::int64_t{1});
    s.batch.arg(qkey);
    s.batch.arg(std::int64_t{limits_.max_records_per_address});
    s.batch.arg(quota_ttl);
    link_->exec(s.batch, s.replies);
    const bool answered = s.replies.answered(0) && s.replies.at(0).type() == Type::integer;
    if (!answered || s.replies.at(0).integer() == 0) {
      if (!answered) fail();
      settle_quota(c, nullptr);
      return answered ? RecordStoreError::address_quota : RecordStoreError::busy;
    }
    s.batch.clear();
    add_put(s.batch, p, true, may_create());
    link_->exec(s.batch, s.replies);
    Change again;
    again.released = std::move(c.released);
    const bool ok = read_change(s.replies, 0, slot, again);
    if (!ok) fail();
    if (!again.used_reservation) again.released.push_back(unit);  // not needed after all
    c = std::move(again);
    if (!ok) c.status = -1;
  }
  settle_quota(c, c.status == 0 && !c.moved.empty() ? &p.source : nullptr);
  if (c.status == 0) return c.version;
  return error_of(c.status);
}

core::Result<void, RecordStoreError> RedisRecordStore::remove(const core::TopicId& topic,
                                                              const core::RecordId& id,
                                                              const core::Address& source,
                                                              std::uint64_t seq,
                                                              core::Seconds now) {
  Scratch& s = scratch();
  const std::string_view ns = options_.name_space;
  const Hex t(topic.bytes);
  const std::uint16_t slot = t.slot();
  s.batch.clear();
  s.batch.script(slot, remove_script());
  s.batch.arg(std::int64_t{7});
  for (std::string_view kind : {"m", "r", "v", "e", "k"})
    s.batch.arg(key_name(s.key, ns, kind, t.view()));
  s.batch.arg(key_name(s.key, ns, "rx", slot_tag(slot)));
  s.batch.arg(key_name(s.key, ns, "rc", slot_tag(slot)));
  s.packed.clear();
  pack_source(s.packed, source);
  put_be64(s.packed, seq);
  s.batch.arg(ns);
  s.batch.arg(t.view());
  s.batch.arg(bytes_of(id.view()));
  s.batch.arg(shared(now));
  s.batch.arg(std::string_view(s.packed).substr(0, 17));
  s.batch.arg(std::string_view(s.packed).substr(17, 8));
  s.batch.arg(std::int64_t{limits_.tombstone_ttl});
  s.batch.arg(key_ttl());
  link_->exec(s.batch, s.replies);
  Change c;
  if (!read_change(s.replies, 0, slot, c)) {
    fail();
    return RecordStoreError::busy;
  }
  settle_quota(c, nullptr);
  if (c.status == 0) return {};
  const auto e = error_of(c.status);
  return e.error();
}

namespace {

// A record from a look-up reply: its id, version (decimal) and packed
// form; false if they do not read as one.
bool unpack(Reply id, Reply version, Reply packed, std::int64_t offset, StoredRecord& r) {
  if (!id.is_text() || !version.is_text() || !packed.is_text()) return false;
  const std::string_view bytes = packed.text();
  auto rid = core::RecordId::from_bytes(
      {reinterpret_cast<const std::uint8_t*>(id.text().data()), id.text().size()});
  if (!rid || bytes.size() < kPackedHead || !to_u64(version.text(), r.version)) return false;
  r.id = *rid;
  const auto* b = reinterpret_cast<const std::uint8_t*>(bytes.data());
  if (b[0] == 4)
    r.source = core::Address::v4(std::span<const std::uint8_t, 4>(b + 1, 4));
  else if (b[0] == 6)
    r.source = core::Address::v6(std::span<const std::uint8_t, 16>(b + 1, 16));
  else
    return false;
  r.seq = get_be64(bytes.substr(17));
  std::memcpy(r.signature.data(), b + 25, r.signature.size());
  auto local = [&](std::uint64_t at) {
    const std::int64_t t = static_cast<std::int64_t>(at) - offset;
    return static_cast<core::Seconds>(
        std::clamp<std::int64_t>(t, 0, std::numeric_limits<core::Seconds>::max()));
  };
  r.registered = local(get_be64(bytes.substr(89)));
  r.expires_at = local(get_be64(bytes.substr(97)));
  r.body.assign(bytes.substr(kPackedHead));
  return true;
}

}  // namespace

core::Result<std::uint64_t, RecordStoreError> RedisRecordStore::lookup(const core::TopicId& topic,
                                                                       std::uint64_t after_version,
                                                                       const Visitor& visit) const {
  Scratch& s = scratch();
  const Hex t(topic.bytes);
  std::uint64_t after = after_version;
  StoredRecord record;
  while (true) {
    s.batch.clear();
    s.batch.script(t.slot(), lookup_script());
    s.batch.arg(std::int64_t{3});
    for (std::string_view kind : {"m", "r", "v"})
      s.batch.arg(key_name(s.key, options_.name_space, kind, t.view()));
    s.batch.arg(std::to_string(after));
    s.batch.arg(kPage);
    link_->exec(s.batch, s.replies);
    if (!s.replies.answered(0) || s.replies.at(0).type() != Type::array ||
        s.replies.at(0).size() % 3 != 1) {
      fail();
      return RecordStoreError::busy;
    }
    const Reply r = s.replies.at(0);
    std::uint64_t last = 0;
    const Reply head = r.at(0);
    if (head.type() == Type::integer) {
      last = static_cast<std::uint64_t>(std::max<std::int64_t>(0, head.integer()));
    } else if (!head.is_text() || !to_u64(head.text(), last)) {
      fail();
      return RecordStoreError::busy;
    }
    if (last == 0) return std::uint64_t{0};
    std::uint32_t read = 0;
    for (std::uint32_t i = 1; i + 2 < r.size(); i += 3) {
      if (!unpack(r.at(i), r.at(i + 1), r.at(i + 2), options_.clock_offset, record)) continue;
      ++read;
      after = record.version;
      if (!visit(record)) return last;
    }
    if (read < kPage) return last;
  }
}

std::uint64_t RedisRecordStore::expire(core::Seconds now) {
  Scratch& s = scratch();
  const std::string_view ns = options_.name_space;
  const bool full = due_.scan_due(shared(now), options_.full_scan_every);
  SlotScan scan;
  if (full) {
    scan =
        scan_slots(*link_, s.batch, s.replies, s.key, ns, "rx", "rc", "topics", shared(now), due_);
    due_.scanned(shared(now));
  } else {
    scan.due = due_.take(shared(now));
  }
  std::uint64_t removed = 0;
  std::int64_t dropped = 0;
  bool complete = scan.complete;
  Change released;
  const auto add = [&](Batch& b, std::uint16_t slot) {
    b.script(slot, record_sweep_script());
    b.arg(std::int64_t{2});
    b.arg(key_name(s.key, ns, "rx", slot_tag(slot)));
    b.arg(key_name(s.key, ns, "rc", slot_tag(slot)));
    b.arg(ns);
    b.arg(shared(now));
    b.arg(std::int64_t{limits_.tombstone_ttl});
    b.arg(kSweepTopics);
  };
  const auto read = [&](std::uint16_t slot, const Reply* r) {
    if (r == nullptr || r->type() != Type::array || r->size() < 5) {
      fail();
      complete = false;
      due_.note(slot, 0);  // try again next time
      return false;
    }
    auto it = r->begin();
    removed += static_cast<std::uint64_t>(std::max<std::int64_t>(0, (*it).integer()));
    dropped += (*++it).integer();
    if (full)
      scan.held[slot] = (*++it).integer();
    else
      ++it;
    const bool more = (*++it).integer() != 0;
    if (!more)
      due_.note(slot, (*++it).integer());
    else
      ++it;
    for (++it; it != r->end(); ++it)
      if ((*it).is_text()) released.released.emplace_back((*it).text());
    return more;
  };
  complete = sweep_slots(*link_, s.batch, s.replies, scan.due, add, read) && complete;
  settle_quota(released, nullptr);
  if (full && complete) {
    std::int64_t total = 0;
    for (std::int64_t n : scan.held) total += n;
    swept_topics_ = total;
    topics_since_ = 0;
  } else {
    topics_since_ -= dropped;
  }
  return removed;
}

RecordStats RedisRecordStore::stats() const {
  Scratch& s = scratch();
  s.batch.clear();
  for (std::uint16_t slot = 0; slot < kSlots; ++slot) {
    s.batch.command(slot);
    s.batch.arg("HMGET");
    s.batch.arg(key_name(s.key, options_.name_space, "rc", slot_tag(slot)));
    for (std::string_view field : {"topics", "records", "tombstones"}) s.batch.arg(field);
  }
  link_->exec(s.batch, s.replies);
  RecordStats st;
  std::uint64_t* fields[] = {&st.topics, &st.records, &st.tombstones};
  for (std::size_t i = 0; i < s.replies.size(); ++i) {
    if (!s.replies.answered(i) || s.replies.at(i).type() != Type::array) {
      fail();
      continue;
    }
    std::size_t f = 0;
    for (Reply v : s.replies.at(i)) {
      std::uint64_t n = 0;
      if (v.is_text() && f < 3 && to_u64(v.text(), n)) *fields[f] += n;
      ++f;
    }
  }
  return st;
}

}  // namespace cairn::store::redis
