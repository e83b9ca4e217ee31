#include "store/redis/sweep.hpp"

#include <charconv>

#include "store/redis/keys.hpp"

namespace cairn::store::redis {

using codec::resp::Reply;
using codec::resp::Type;

namespace {

constexpr int kRounds = 1000;

std::int64_t number(Reply r) {
  std::int64_t n = 0;
  if (r.type() == Type::integer) return r.integer();
  if (r.is_text()) std::from_chars(r.text().data(), r.text().data() + r.text().size(), n);
  return n;
}

}  // namespace

DueSlots::DueSlots() : due_(new std::atomic<std::int64_t>[kSlots]) {
  for (std::size_t i = 0; i < kSlots; ++i) due_[i] = kNever;
}

void DueSlots::note(std::uint16_t slot, std::int64_t due) {
  if (due < 0) return;
  std::atomic<std::int64_t>& at = due_[slot % kSlots];
  std::int64_t held = at.load(std::memory_order_relaxed);
  while (due < held && !at.compare_exchange_weak(held, due, std::memory_order_relaxed)) {
  }
}

std::vector<std::uint16_t> DueSlots::take(std::int64_t now) {
  std::vector<std::uint16_t> out;
  for (std::uint16_t slot = 0; slot < kSlots; ++slot) {
    if (due_[slot].load(std::memory_order_relaxed) > now) continue;
    due_[slot].store(kNever, std::memory_order_relaxed);
    out.push_back(slot);
  }
  return out;
}

bool DueSlots::scan_due(std::int64_t now, std::int64_t every) const {
  const std::int64_t last = last_scan_.load();
  return last == kNever || now < last || now - last >= every;
}

SlotScan scan_slots(RedisLink& link, Batch& batch, Replies& replies, std::string& key,
                    std::string_view name_space, std::string_view index, std::string_view counters,
                    std::string_view count_field, std::int64_t now, DueSlots& known) {
  batch.clear();
  for (std::uint16_t slot = 0; slot < kSlots; ++slot) {
    batch.command(slot);
    batch.arg("ZRANGE");
    batch.arg(key_name(key, name_space, index, slot_tag(slot)));
    batch.arg(std::int64_t{0});
    batch.arg(std::int64_t{0});
    batch.arg("WITHSCORES");
    batch.command(slot);
    batch.arg("HMGET");
    batch.arg(key_name(key, name_space, counters, slot_tag(slot)));
    batch.arg("expired");
    batch.arg(count_field);
  }
  link.exec(batch, replies);
  SlotScan scan;
  scan.held.assign(kSlots, 0);
  for (std::uint16_t slot = 0; slot < kSlots; ++slot) {
    const std::size_t i = 2u * slot;
    if (!replies.answered(i) || !replies.answered(i + 1) || replies.at(i).type() != Type::array ||
        replies.at(i + 1).type() != Type::array || replies.at(i + 1).size() != 2) {
      scan.complete = false;
      continue;
    }
    const Reply first = replies.at(i), fields = replies.at(i + 1);
    scan.held[slot] = number(fields.at(1));
    const std::int64_t next = first.size() == 2 ? number(first.at(1)) : DueSlots::kNever;
    if (next <= now || number(fields.at(0)) != 0)
      scan.due.push_back(slot);
    else
      known.note(slot, next);
  }
  return scan;
}

bool sweep_slots(RedisLink& link, Batch& batch, Replies& replies, std::vector<std::uint16_t> slots,
                 const AddSweep& add, const ReadSweep& read) {
  bool complete = true;
  for (int round = 0; round < kRounds && !slots.empty(); ++round) {
    batch.clear();
    for (std::uint16_t slot : slots) add(batch, slot);
    link.exec(batch, replies);
    std::vector<std::uint16_t> more;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (!replies.answered(i)) {
        complete = false;
        read(slots[i], nullptr);
        continue;
      }
      const Reply r = replies.at(i);
      if (read(slots[i], &r)) more.push_back(slots[i]);
    }
    slots.swap(more);
  }
  return complete;
}

}  // namespace cairn::store::redis
