#pragma once
// WebSocket tracker load (`ws`, `wss`): each lane is one connection and one
// simulated browser peer (ws_peer.hpp), bound to its source address, under
// one edge-triggered epoll per thread. A connection upgrades, then keeps
// --window announces or scrapes in flight and answers every offer at once
// (answers get no reply: the tracker relays them to the offering peer).
// A connection the tracker closes, or one whose reply is later than
// --timeout-ms, is opened again and its peer announces `started` again.
//
// With --preload each connection announces once without offers and stays
// open; when every lane of every thread has (or was given up after three
// failures) one thread prints "held N connections ..." and all hold them
// --hold seconds more, answering pings, before closing.
#include "load/driver.hpp"

namespace cairn::load {

DriverResult run_ws(const DriverSetup& setup);

}  // namespace cairn::load
