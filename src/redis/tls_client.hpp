#pragma once
// TLS to Redis (store.redis_tls): a client context through Boost.Asio's
// OpenSSL context, and the sessions a Connection runs over its socket.
// TLS 1.2 or 1.3; the server's certificate must chain to store.redis_ca_file
// (or the system's CAs when that is "") and name the host or address the
// connection was made to; a client certificate is presented when one is
// configured (Redis asks for one unless tls-auth-clients is off).
#include <openssl/ssl.h>

#include <memory>
#include <string>

// Only the .cpp sees Boost.Asio's OpenSSL headers (they are heavy).
namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace cairn::redis {

struct TlsOptions {
  std::string ca_file;    // "": the system's CAs
  std::string cert_file;  // "": no client certificate
  std::string key_file;   // with cert_file
};

class TlsClient {
 public:
  // Throws std::runtime_error naming the file, what was wrong and what was
  // expected.
  explicit TlsClient(const TlsOptions& options);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // A client session that verifies the server as `host` (a name, or an
  // IPv4/IPv6 address checked against the certificate's IP entries); null
  // when OpenSSL is out of memory.
  SSL* new_session(const std::string& host) const;

 private:
  std::unique_ptr<boost::asio::ssl::context> context_;
};

}  // namespace cairn::redis
