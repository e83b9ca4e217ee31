#pragma once
// Private mode's counter block (tracker.mode = "private"): what the
// admission step refused and what the accounting could not keep. Zero in
// public mode.
#include "tracker/metrics.hpp"

namespace cairn::tracker {

struct PrivateCounters {
  Counter passkeys_refused, not_credited;
  template <typename F>
  void each(F&& f) const {
    f("passkeys_refused", "requests refused in private mode: passkey missing, unknown or disabled",
      passkeys_refused);
    f("not_credited",
      "private announces answered but not credited: the worker's record buffer was full",
      not_credited);
  }
};

}  // namespace cairn::tracker
