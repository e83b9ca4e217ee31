#pragma once
// The sweep both Redis stores run from expire(). A store knows when each
// slot next has work from the replies to its own calls (DueSlots), and
// sweeps only those slots; every so often (RedisOptions::full_scan_every)
// it looks at all 16384 with one cheap pipelined read each (scan_slots),
// which finds the work other nodes left (a node that died, say). Then the
// store's sweep script runs on each slot that needs it, again and again
// for those that had more than one call's work (sweep_slots).
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

#include "codec/resp.hpp"
#include "store/redis/link.hpp"

namespace cairn::store::redis {

// When each slot next has work for a sweep, as far as this store knows.
class DueSlots {
 public:
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
  DueSlots();
  // From a reply: the slot has work at `due` (negative: none known).
  void note(std::uint16_t slot, std::int64_t due);
  // The slots with work at `now`, each reset to never: the sweep's reply
  // notes it again.
  std::vector<std::uint16_t> take(std::int64_t now);
  // Whether a full scan is due: none yet, `every` seconds since the last,
  // or time went back.
  bool scan_due(std::int64_t now, std::int64_t every) const;
  void scanned(std::int64_t now) { last_scan_ = now; }

 private:
  std::unique_ptr<std::atomic<std::int64_t>[]> due_;
  std::atomic<std::int64_t> last_scan_{kNever};
};

struct SlotScan {
  std::vector<std::uint16_t> due;  // slots the sweep script must visit
  std::vector<std::int64_t> held;  // per slot: its `count_field` as read
  bool complete = true;            // every slot answered
};

// Per slot S: ZRANGE NS:<index>{S} 0 0 WITHSCORES, and HMGET
// NS:<counters>{S} expired <count_field>. Slots with nothing due at `now`
// are noted in `known` with their next time.
SlotScan scan_slots(RedisLink& link, Batch& batch, Replies& replies, std::string& key,
                    std::string_view name_space, std::string_view index, std::string_view counters,
                    std::string_view count_field, std::int64_t now, DueSlots& known);

// Calls `add` for each slot (one call each), sends them, hands each reply
// to `read` (false: no reply), which says whether the slot has more; goes
// on with those until none has, or 1000 rounds. Returns whether every
// call was answered.
using AddSweep = std::function<void(Batch&, std::uint16_t slot)>;
using ReadSweep = std::function<bool(std::uint16_t slot, const codec::resp::Reply* reply)>;
bool sweep_slots(RedisLink& link, Batch& batch, Replies& replies, std::vector<std::uint16_t> slots,
                 const AddSweep& add, const ReadSweep& read);

}  // namespace cairn::store::redis
