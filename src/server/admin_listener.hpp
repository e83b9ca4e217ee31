#pragma once
// The admin listener (admin.listen): /metrics, /stats.json and the
// dashboard on addresses of their own, never the tracker's ports unless
// configured so. One worker of its own (a thread, an io_context, a stock
// HttpListener per address) serving the admin route table
// (Frontends::admin()), so a scrape's summing and a census of the swarms
// run beside the tracker's workers, not on them; with its own small
// connection budget and rate limit, so a flood of the admin port cannot
// take the tracker's connections or memory.
#include <memory>

#include "clock/coarse_clock.hpp"
#include "core/endpoint.hpp"
#include "frontend/http_router.hpp"
#include "net/address_connections.hpp"
#include "net/connection_budget.hpp"
#include "net/worker.hpp"
#include "tracker/access_list.hpp"

namespace cairn::server {

class AdminListener {
 public:
  static constexpr std::size_t kMaxConnections = 64;
  static constexpr std::uint32_t kMaxConnectionsPerAddress = 16;

  // `index`: the worker index its connection registry is given (past the
  // tracker's workers). Everything must outlive this.
  AdminListener(const frontend::HttpRouter& routes, const clock::CoarseClock& clock,
                std::uint32_t index);

  // Binds `at` (port 0 picks one); returns where. Before start().
  core::Endpoint bind(const core::Endpoint& at);
  void start() { worker_->start(); }
  void close() { worker_->close(); }
  void stop() { worker_->stop(); }

 private:
  const frontend::HttpRouter& routes_;
  const clock::CoarseClock& clock_;
  tracker::AccessList no_access_list_;
  net::ConnectionBudget budget_{kMaxConnections};
  net::AddressConnections per_address_{kMaxConnectionsPerAddress, {}};
  std::unique_ptr<net::Worker> worker_;
};

}  // namespace cairn::server
