#include "frontend/rendezvous_http.hpp"

#include <vector>

#include "codec/http_response.hpp"
#include "codec/rendezvous_json.hpp"

namespace cairn::frontend {

namespace rv = codec::rv;

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kTopics = "/v1/topics/";
constexpr std::string_view kRecords = "/records";
// The methods a path takes: a 405's Allow header and message.
struct Methods {
  std::string_view allow, message;
};
constexpr Methods kRead{"GET, HEAD", "this path takes only GET and HEAD"};
constexpr Methods kReadOrRegister{"GET, HEAD, POST", "this path takes only GET, HEAD and POST"};
constexpr Methods kDelete{"DELETE", "this path takes only DELETE"};

int status_of(tracker::RendezvousError e) {
  using E = tracker::RendezvousError;
  switch (e) {
    case E::bad_record:
      return 400;
    case E::record_too_large:
      return 413;
    case E::bad_signature:
    case E::not_owner:
    case E::topic_not_allowed:
      return 403;
    case E::not_found:
      return 404;
    case E::stale_sequence:
    case E::topic_full:
      return 409;
    case E::address_quota:
      return 429;
    case E::tracker_full:
      return 503;
  }
  return 500;
}

}  // namespace

struct RendezvousHttp::Reply {
  int status = 200;
  std::string body;
  std::string_view allow;  // a 405's Allow header

  void error(int s, std::string_view code, std::string_view message) {
    status = s;
    body.clear();
    rv::encode_error(code, message, body);
  }
  void error(tracker::RendezvousError e) {
    error(status_of(e), tracker::error_code(e), tracker::error_message(e));
  }
  void error(const rv::RequestError& e) {
    error(e.code == rv::JsonError::record_too_large ? 413 : 400, rv::error_code(e.code), e.detail);
  }
  void not_found() { error(404, "not_found", "no such resource under /v1/"); }
  void wrong_method(const Methods& allowed) {
    error(405, "method_not_allowed", allowed.message);
    allow = allowed.allow;
  }
};

void RendezvousHttp::handle(const codec::HttpRequest& request, const core::Address& client,
                            const tracker::RequestContext& ctx, std::string& out) const {
  const core::Seconds now = ctx.now;
  auto& state = ctx.state;
  // Behind a trusted proxy the client's port is not known.
  const core::Endpoint observed =
      client == ctx.source.address ? ctx.source : core::Endpoint{client, 0};
  Reply reply;
  std::string_view path = request.path;
  if (!rendezvous_.enabled()) {
    // Off means the whole API, whoami too: every path under /v1/ is unknown.
    reply.error(404, "disabled", "the rendezvous API is turned off on this tracker");
  } else if (path == "/v1/whoami") {
    if (!codec::is_get_or_head(request.method))
      reply.wrong_method(kRead);
    else
      rv::encode_whoami(observed, reply.body);
  } else if (path.starts_with(kTopics)) {
    path.remove_prefix(kTopics.size());
    const auto rest = path.substr(std::min(path.find('/'), path.size()));
    auto topic = core::TopicId::from_hex(path.substr(0, path.size() - rest.size()));
    if (!topic)
      reply.error(400, "bad_topic", "a topic is 40 hex digits");
    else if (!rest.starts_with(kRecords))
      reply.not_found();
    else
      records(request, *topic, rest.substr(kRecords.size()), client, observed, now, state, reply);
  } else {
    reply.not_found();
  }
  if (reply.status != 200) tracker::bump(state.counters.rendezvous.refused);
  auto response = codec::HttpResponse::to(request, reply.status, kJson);
  response.body = reply.body;
  response.allow = reply.allow;
  codec::write_http_response(out, response);
}

// .../records (POST register, GET look up) or .../records/{id} (DELETE).
void RendezvousHttp::records(const codec::HttpRequest& request, const core::TopicId& topic,
                             std::string_view rest, const core::Address& client,
                             const core::Endpoint& observed, core::Seconds now, WorkerState& state,
                             Reply& reply) const {
  if (rest.empty()) {
    if (request.method == codec::HttpMethod::post) {
      tracker::count_request(state.counters.requests, tracker::RequestType::rendezvous_register,
                             client);
      return register_record(request, topic, client, observed, now, state, reply);
    }
    if (codec::is_get_or_head(request.method)) {
      tracker::count_request(state.counters.requests, tracker::RequestType::rendezvous_lookup,
                             client);
      return lookup(request, topic, now, state, reply);
    }
    return reply.wrong_method(kReadOrRegister);
  }
  if (!rest.starts_with('/') || rest.size() == 1) return reply.not_found();
  if (request.method != codec::HttpMethod::delete_) return reply.wrong_method(kDelete);
  tracker::count_request(state.counters.requests, tracker::RequestType::rendezvous_unregister,
                         client);
  remove(request, topic, rest.substr(1), client, now, state, reply);
}

void RendezvousHttp::register_record(const codec::HttpRequest& request, const core::TopicId& topic,
                                     const core::Address& client, const core::Endpoint& observed,
                                     core::Seconds now, WorkerState& state, Reply& reply) const {
  tracker::bump(state.counters.rendezvous.registers);
  auto parsed = rv::parse_register_request(request.body);
  if (!parsed) return reply.error(parsed.error());
  tracker::RegisterCall call{
      topic, parsed->id, parsed->body, parsed->ttl.value_or(0), parsed->signed_by, client};
  auto granted = rendezvous_.register_record(call, now, state.access);
  if (!granted) return reply.error(granted.error());
  rv::encode_register_reply(parsed->id, granted->ttl, granted->reannounce_after, observed,
                            reply.body);
}

void RendezvousHttp::lookup(const codec::HttpRequest& request, const core::TopicId& topic,
                            core::Seconds now, WorkerState& state, Reply& reply) const {
  tracker::bump(state.counters.rendezvous.lookups);
  auto query = rv::parse_lookup_query(request.query);
  if (!query) return reply.error(query.error());
  tracker::LookupCall call{topic, query->limit, query->capability, query->cursor};
  std::vector<rv::FoundRecord> found;
  auto outcome = rendezvous_.lookup(call, now, state.access, [&](const rv::FoundRecord& f) {
    found.push_back(f);
    return true;
  });
  if (!outcome) return reply.error(outcome.error());
  rv::encode_lookup_reply(found, outcome->cursor, outcome->more, reply.body);
}

void RendezvousHttp::remove(const codec::HttpRequest& request, const core::TopicId& topic,
                            std::string_view id_text, const core::Address& client,
                            core::Seconds now, WorkerState& state, Reply& reply) const {
  tracker::bump(state.counters.rendezvous.unregisters);
  auto id = core::RecordId::from_hex(id_text);
  if (!id) return reply.error(400, "bad_request", "a record id is 32 or 64 hex digits");
  auto query = rv::parse_remove_query(request.query);
  if (!query) return reply.error(query.error());
  auto done = rendezvous_.unregister(topic, *id, query->signed_by, client, now, state.access);
  if (!done) return reply.error(done.error());
  rv::encode_removed(reply.body);
}

void RendezvousHttp::write_rate_limited(const codec::HttpRequest& request,
                                        std::uint32_t retry_after, tracker::WorkerState& /*state*/,
                                        std::string& out) const {
  std::string body;
  rv::encode_error("rate_limited", "this address is over its request rate", body);
  auto response = codec::HttpResponse::to(request, 429, kJson);
  response.body = body;
  response.retry_after = retry_after;
  codec::write_http_response(out, response);
}

}  // namespace cairn::frontend
