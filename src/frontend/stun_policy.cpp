#include "frontend/stun_policy.hpp"

#include <algorithm>

#include "codec/stun.hpp"

namespace cairn::frontend {

std::optional<StunMode> parse_stun_mode(std::string_view text) {
  if (text == "on") return StunMode::on;
  if (text == "padded") return StunMode::padded;
  if (text == "off") return StunMode::off;
  return std::nullopt;
}

std::string_view to_string(StunMode mode) {
  switch (mode) {
    case StunMode::on:
      return "on";
    case StunMode::padded:
      return "padded";
    case StunMode::off:
      return "off";
  }
  return "off";
}

std::size_t stun_budget(StunMode mode, core::Family family, std::size_t request_size) {
  switch (mode) {
    case StunMode::on:
      return std::max(request_size,
                      codec::stun::success_size(family, codec::stun::Answer::minimal));
    case StunMode::padded:
      return request_size;
    case StunMode::off:
      return 0;
  }
  return 0;
}

}  // namespace cairn::frontend
