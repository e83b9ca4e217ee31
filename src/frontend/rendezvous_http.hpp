#pragma once
// The rendezvous API over HTTP (docs/rendezvous.md, "HTTP API"): requests
// under /v1/ in, a complete JSON response out. Routing and the mapping of
// errors to statuses live here; JSON is codec/rendezvous_json, the logic
// tracker/rendezvous. No sockets: the HTTP frontend hands requests over.
#include <string>

#include "codec/http_request.hpp"
#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "frontend/worker_state.hpp"
#include "tracker/rendezvous.hpp"

namespace cairn::frontend {

class RendezvousHttp {
 public:
  explicit RendezvousHttp(tracker::Rendezvous& rendezvous) : rendezvous_(rendezvous) {}

  // Whether `path` is the API's (the frontend routes it here).
  static bool owns(std::string_view path) { return path.starts_with("/v1/"); }

  // Appends the response. `client` is the client's address (the socket's,
  // or a trusted proxy's header); `observed` what whoami reports.
  void handle(const codec::HttpRequest& request, const core::Address& client,
              const core::Endpoint& observed, core::Seconds now, WorkerState& state,
              std::string& out) const;

  // The JSON error a rate-limited client gets, with Retry-After (seconds).
  static void write_rate_limited(const codec::HttpRequest& request, std::uint32_t retry_after,
                                 std::string& out);

 private:
  struct Reply;
  void records(const codec::HttpRequest& request, const core::TopicId& topic, std::string_view rest,
               const core::Address& client, const core::Endpoint& observed, core::Seconds now,
               WorkerState& state, Reply& reply) const;
  void register_record(const codec::HttpRequest& request, const core::TopicId& topic,
                       const core::Address& client, const core::Endpoint& observed,
                       core::Seconds now, WorkerState& state, Reply& reply) const;
  void lookup(const codec::HttpRequest& request, const core::TopicId& topic, core::Seconds now,
              WorkerState& state, Reply& reply) const;
  void remove(const codec::HttpRequest& request, const core::TopicId& topic, std::string_view id,
              const core::Address& client, core::Seconds now, WorkerState& state,
              Reply& reply) const;

  tracker::Rendezvous& rendezvous_;
};

}  // namespace cairn::frontend
