#include "server/admin_listener.hpp"

#include <sodium.h>

#include "net/bind.hpp"
#include "net/http_listener.hpp"

namespace cairn::server {

namespace {

// A dashboard asks once a second and Prometheus every few: far below this.
tracker::RateLimitConfig admin_rate_limit() {
  tracker::RateLimitConfig c;
  c.per_second = 20;
  c.burst = 200;
  c.slots = 1024;
  return c;
}

}  // namespace

AdminListener::AdminListener(const frontend::HttpRouter& routes, const clock::CoarseClock& clock,
                             std::uint32_t index)
    : routes_(routes), clock_(clock), no_access_list_(tracker::AccessMode::off, {}) {
  std::uint64_t seed;
  randombytes_buf(&seed, sizeof seed);
  worker_ = std::make_unique<net::Worker>(index, seed, admin_rate_limit(), no_access_list_);
}

core::Endpoint AdminListener::bind(const core::Endpoint& at) {
  core::Endpoint bound = at;
  bound.port = net::probe_tcp_port(at, "admin");
  net::HttpConnectionLimits limits;
  limits.max_connections = kMaxConnections;
  limits.max_connections_per_address = kMaxConnectionsPerAddress;
  worker_->add(std::make_unique<net::HttpListener>(net::bind_tcp(worker_->io(), bound, "admin"),
                                                   routes_, clock_, worker_->state(), limits,
                                                   budget_, worker_->registry(), per_address_));
  return bound;
}

}  // namespace cairn::server
