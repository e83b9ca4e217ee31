#pragma once
// The rendezvous API over HTTP (docs/rendezvous.md, "HTTP API"): requests
// under /v1/ in, a complete JSON response out. Routing and the mapping of
// errors to statuses live here; JSON is codec/rendezvous_json, the logic
// tracker/rendezvous. No sockets: the HTTP router hands requests over (the
// route /v1/, any method: this handler answers 405s in JSON itself).
#include <string>

#include "codec/http_request.hpp"
#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "frontend/http_handler.hpp"
#include "frontend/worker_state.hpp"
#include "tracker/rendezvous.hpp"

namespace cairn::frontend {

class RendezvousHttp final : public HttpHandler {
 public:
  static constexpr std::string_view kPrefix = "/v1/";

  explicit RendezvousHttp(tracker::Rendezvous& rendezvous) : rendezvous_(rendezvous) {}

  // Whoami reports the socket's peer, or (behind a trusted proxy, whose
  // header names no port) the client's address with port 0.
  void handle(const codec::HttpRequest& request, const core::Address& client,
              const tracker::RequestContext& ctx, std::string& out) const override;

  // The JSON error a rate-limited client gets, with Retry-After (seconds).
  void write_rate_limited(const codec::HttpRequest& request, std::uint32_t retry_after,
                          tracker::WorkerState& state, std::string& out) const override;

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
