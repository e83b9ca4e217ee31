#pragma once
#include <cstdint>

namespace cairn::core {

// An announce's event, as BEP 3 and BEP 15 name them (values are BEP 15's).
enum class Event : std::uint8_t { none = 0, completed = 1, started = 2, stopped = 3 };

}  // namespace cairn::core
