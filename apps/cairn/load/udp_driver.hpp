#pragma once
// BEP 15 load over UDP: each lane is a socket bound to one source address
// with a window of requests in flight, sent with sendmmsg and received with
// recvmmsg, replies matched to their slot by transaction id.
#include "load/driver.hpp"

namespace cairn::load {

// Runs one thread's lanes until the clock says stop or the lanes are done.
// Throws only while opening sockets.
DriverResult run_udp(const DriverSetup& setup);

}  // namespace cairn::load
