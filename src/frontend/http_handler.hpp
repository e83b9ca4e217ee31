#pragma once
// The seam between the HTTP listener and what is served over HTTP: an
// HttpRouter (http_router.hpp) matches a request to one route of its table
// and hands it to that route's HttpHandler. No sockets here.
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/http_request.hpp"
#include "codec/passkey.hpp"
#include "core/endpoint.hpp"
#include "tracker/request_context.hpp"

namespace cairn::frontend {

class HttpHandler {
 public:
  HttpHandler() = default;
  HttpHandler(const HttpHandler&) = delete;
  HttpHandler& operator=(const HttpHandler&) = delete;
  virtual ~HttpHandler() = default;

  // Appends the complete response to a request the router admitted (within
  // its rate limit, with a method the route takes). `client` is the
  // client's address: the socket's peer (ctx.source), or what a trusted
  // proxy's header named. The connection stays open if the request asked.
  virtual void handle(const codec::HttpRequest& request, const core::Address& client,
                      const tracker::RequestContext& ctx, std::string& out) const = 0;

  // Appends the answer to a client over its rate limit, in the route's own
  // language, with Retry-After: `retry_after` seconds.
  virtual void write_rate_limited(const codec::HttpRequest& request, std::uint32_t retry_after,
                                  tracker::WorkerState& state, std::string& out) const = 0;

  // For a request line too long to read (414) on this route: appends an
  // answer of the route's own and returns true, or returns false for the
  // plain 414.
  virtual bool write_too_long(const codec::HttpRequest& /*request*/,
                              tracker::WorkerState& /*state*/, std::string& /*out*/) const {
    return false;
  }
};

struct HttpRoute {
  // after_passkey: "/" + a passkey (core/passkey.hpp) + path, as in
  // "/PASSKEY/announce".
  enum class Match : std::uint8_t { exact, prefix, after_passkey };
  enum class Methods : std::uint8_t {
    get_or_head,  // anything else: 405 with Allow (HEAD is GET without the body)
    any,          // the handler answers each method itself
  };
  enum class Limit : std::uint8_t {
    rate_limited,
    unlimited,  // a load balancer's probe: never refused, whoever asks
  };

  std::string_view path;
  Match match = Match::exact;
  Methods methods = Methods::get_or_head;
  Limit limit = Limit::rate_limited;
  const HttpHandler* handler = nullptr;
  // What a 404 says this route serves ("/health").
  std::string_view served;

  bool takes(std::string_view p) const {
    switch (match) {
      case Match::exact:
        return p == path;
      case Match::prefix:
        return p.starts_with(path);
      case Match::after_passkey:
        return codec::is_keyed_path(p, path);
    }
    return false;
  }
  bool allows(codec::HttpMethod m) const {
    return methods == Methods::any || codec::is_get_or_head(m);
  }
};

}  // namespace cairn::frontend
