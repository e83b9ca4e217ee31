#include "tracker/access_list.hpp"

namespace cairn::tracker {

namespace {

constexpr std::string_view kWhitespace = " \t\r\f\v";

std::string_view strip(std::string_view line) {
  line = line.substr(0, line.find('#'));
  auto first = line.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  return line.substr(first, line.find_last_not_of(kWhitespace) - first + 1);
}

}  // namespace

std::optional<AccessMode> parse_access_mode(std::string_view text) {
  for (auto mode : {AccessMode::off, AccessMode::whitelist, AccessMode::blacklist})
    if (text == to_string(mode)) return mode;
  return std::nullopt;
}

std::string_view to_string(AccessMode mode) {
  switch (mode) {
    case AccessMode::off:
      return "off";
    case AccessMode::whitelist:
      return "whitelist";
    case AccessMode::blacklist:
      return "blacklist";
  }
  return "off";
}

core::Result<InfoHashSet, AccessListError> parse_access_list(std::string_view text) {
  InfoHashSet hashes;
  std::size_t line_number = 0;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = strip(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    if (line.empty()) continue;
    auto hash = core::InfoHash::from_hex(line);
    if (!hash) return AccessListError{line_number, "not an info hash (40 hex digits)"};
    hashes.insert(*hash);
  }
  return hashes;
}

AccessList::AccessList(AccessMode mode, InfoHashSet hashes)
    : mode_(mode), current_(std::make_shared<const InfoHashSet>(std::move(hashes))) {}

void AccessList::replace(InfoHashSet hashes) {
  auto next = std::make_shared<const InfoHashSet>(std::move(hashes));
  std::lock_guard lock(mutex_);
  current_.swap(next);
  version_.fetch_add(1, std::memory_order_relaxed);
  // `next` (the old set) is released here, off the hot path, unless a view
  // still holds it; that view frees it on its next refresh.
}

std::size_t AccessList::size() const {
  std::lock_guard lock(mutex_);
  return current_->size();
}

AccessView::AccessView(const AccessList& list) : list_(&list) { refresh(); }

void AccessView::refresh() {
  std::lock_guard lock(list_->mutex_);
  set_ = list_->current_;
  version_ = list_->version_.load(std::memory_order_relaxed);
}

}  // namespace cairn::tracker
