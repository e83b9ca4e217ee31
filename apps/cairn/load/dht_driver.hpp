#pragma once
// DHT load (KRPC over UDP, BEP 5): each lane is a socket bound to one
// source address, a node of its own id, with a window of queries in flight:
// a mix of ping, find_node (a random target) and get_peers (an info hash of
// the workload, by popularity). Replies are matched to their slot by
// transaction id and checked with the same codec the server uses.
#include "load/driver.hpp"

namespace cairn::load {

// Runs one thread's lanes until the clock says stop or the lanes are done.
// Throws only while opening sockets.
DriverResult run_dht(const DriverSetup& setup);

}  // namespace cairn::load
