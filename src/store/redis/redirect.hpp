#pragma once
// What to do with a cluster node's reply to one command: the MOVED and ASK
// redirections, the errors a cluster gives while it reconfigures, and
// NOSCRIPT, decided here as a pure function; the client in src/redis/ does
// what it says.
#include <cstdint>

#include "codec/resp.hpp"
#include "store/redis/slot_map.hpp"

namespace cairn::store::redis {

// Redirections one command may follow before it is given up (a cluster
// that keeps sending a command around is reconfiguring; the caller's
// request fails with a retry error and the next one starts afresh).
constexpr unsigned kMaxRedirections = 5;

enum class Step : std::uint8_t {
  done,         // not a redirection: the reply is the caller's (an error reply too)
  moved,        // MOVED: the slot lives at `to` now; update the map, send it there
  ask,          // ASK: the slot is migrating; send ASKING and the command to `to`, this once
  retry_later,  // TRYAGAIN, CLUSTERDOWN, LOADING, MASTERDOWN, READONLY, BUSY: wait a
                // moment, refresh the map, send it again
  send_script,  // NOSCRIPT: send it again as EVAL with the script's text
  give_up,      // a redirection past kMaxRedirections
};

struct Decision {
  Step step = Step::done;
  std::uint16_t slot = 0;  // moved, ask
  NodeAddress to;          // moved, ask
};

// `answered_by` is the node the reply came from (a redirection that names
// no host means that node's host); `redirections` is how many this command
// has followed already.
Decision decide(codec::resp::Reply reply, const NodeAddress& answered_by, unsigned redirections);

}  // namespace cairn::store::redis
