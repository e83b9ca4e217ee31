#pragma once
// Access lists: which info hashes the tracker serves. In whitelist mode only
// listed torrents are served, in blacklist mode every torrent but the listed
// ones.
//
// The list can be replaced while workers serve (SIGHUP): the new set is
// built off the hot path and published under a mutex with a version number.
// Each worker reads through its own AccessView, which keeps a reference to
// the set it last saw and looks at the shared version (one relaxed atomic
// load of a line that is written once per reload) before each lookup; only
// when the version moved does it take the mutex to pick up the new set. So a
// lookup is one atomic load and one hash-set probe, no lock and no shared
// reference-count traffic, and no request ever sees a half-built set.
#include <atomic>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "core/ids.hpp"
#include "core/result.hpp"

namespace cairn::tracker {

enum class AccessMode : std::uint8_t { off, whitelist, blacklist };

std::optional<AccessMode> parse_access_mode(std::string_view text);
std::string_view to_string(AccessMode mode);

using InfoHashSet = boost::unordered_flat_set<core::InfoHash, core::Id20Hash>;

// Where a list file went wrong: 1-based line number and a fixed reason.
struct AccessListError {
  std::size_t line = 0;
  std::string_view reason;
};

// Parses a list file's text: one info hash per line as 40 hex digits (either
// case); `#` starts a comment; blank lines and surrounding whitespace are
// ignored. Any other line is an error, and the first one is reported.
core::Result<InfoHashSet, AccessListError> parse_access_list(std::string_view text);

class AccessList {
 public:
  AccessList(AccessMode mode, InfoHashSet hashes);

  AccessMode mode() const { return mode_; }
  // Publishes a new set; views pick it up before their next lookup. Any
  // thread; the old set is freed when the last view lets go of it.
  void replace(InfoHashSet hashes);
  std::size_t size() const;

 private:
  friend class AccessView;
  AccessMode mode_;
  mutable std::mutex mutex_;  // guards current_
  std::shared_ptr<const InfoHashSet> current_;
  std::atomic<std::uint64_t> version_{0};
};

// One worker thread's handle on an AccessList. Not thread-safe.
class AccessView {
 public:
  explicit AccessView(const AccessList& list);

  bool allows(const core::InfoHash& info_hash) {
    if (list_->mode_ == AccessMode::off) return true;
    if (list_->version_.load(std::memory_order_relaxed) != version_) refresh();
    return set_->contains(info_hash) == (list_->mode_ == AccessMode::whitelist);
  }

 private:
  void refresh();

  const AccessList* list_;
  std::shared_ptr<const InfoHashSet> set_;
  std::uint64_t version_ = 0;
};

}  // namespace cairn::tracker
