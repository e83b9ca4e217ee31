#include "store/redis/redirect.hpp"

#include <charconv>
#include <string_view>

namespace cairn::store::redis {

namespace {

bool starts_with_word(std::string_view text, std::string_view word) {
  return text.substr(0, word.size()) == word &&
         (text.size() == word.size() || text[word.size()] == ' ');
}

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381" after the word.
bool parse_target(std::string_view rest, const NodeAddress& answered_by, Decision& d) {
  const std::size_t space = rest.find(' ');
  if (space == std::string_view::npos) return false;
  const std::string_view slot_text = rest.substr(0, space);
  unsigned slot = 0;
  auto [end, ec] = std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), slot);
  if (ec != std::errc() || end != slot_text.data() + slot_text.size() || slot >= kSlots)
    return false;
  auto to = NodeAddress::parse(rest.substr(space + 1), answered_by.host);
  if (!to) return false;
  d.slot = static_cast<std::uint16_t>(slot);
  d.to = std::move(*to);
  return true;
}

}  // namespace

Decision decide(codec::resp::Reply reply, const NodeAddress& answered_by, unsigned redirections) {
  Decision d;
  if (!reply.is_error()) return d;
  const std::string_view text = reply.text();
  Step step = Step::done;
  if (starts_with_word(text, "MOVED") || starts_with_word(text, "ASK")) {
    const bool moved = text[1] == 'O';
    const std::size_t word = moved ? 6 : 4;  // "MOVED " or "ASK "
    // A malformed redirection is an error like any other: the caller's.
    if (text.size() <= word || !parse_target(text.substr(word), answered_by, d)) return Decision{};
    step = moved ? Step::moved : Step::ask;
  } else if (starts_with_word(text, "NOSCRIPT")) {
    step = Step::send_script;
  } else {
    for (std::string_view busy :
         {"TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN", "READONLY", "BUSY"}) {
      if (starts_with_word(text, busy)) step = Step::retry_later;
    }
    if (step == Step::done) return d;
  }
  if (redirections >= kMaxRedirections) return Decision{Step::give_up, 0, {}};
  d.step = step;
  return d;
}

}  // namespace cairn::store::redis
