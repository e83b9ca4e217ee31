#pragma once
// HTTP tracker load: each lane is a connection bound to one source address,
// non-blocking under one edge-triggered epoll per thread. `http` keeps
// connections alive (pipelining up to --window requests) and reopens them
// when the server closes; `http-close` opens one connection per request.
#include "load/driver.hpp"

namespace cairn::load {

DriverResult run_http(const DriverSetup& setup);

}  // namespace cairn::load
