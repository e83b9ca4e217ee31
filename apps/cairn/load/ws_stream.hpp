#pragma once
// The bytes of one load-generator connection, plain or TLS (wss), over a
// non-blocking socket: the driver's epoll loop calls these when the socket
// is ready and they never wait. TLS is OpenSSL on the socket itself; the
// certificate is not checked: the generator only talks to a loopback
// tracker under test, and the handshake's cost is what it exercises.
#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>

namespace cairn::load {

// One client context for all of a run's TLS connections (thread-safe to
// share); nullptr for plain ws. Throws if OpenSSL cannot make one.
SSL_CTX* new_tls_client_context();
void free_tls_client_context(SSL_CTX* ctx);

class WsStream {
 public:
  enum class Io : std::uint8_t {
    ok,      // some bytes moved (or the handshake is done)
    again,   // nothing now: wait for the socket
    closed,  // the peer ended the stream
    failed,  // a socket or TLS error
  };

  WsStream() = default;
  ~WsStream() { reset(); }
  WsStream(const WsStream&) = delete;
  WsStream& operator=(const WsStream&) = delete;
  WsStream(WsStream&& o) noexcept : fd_(o.fd_), ssl_(o.ssl_) { o.ssl_ = nullptr; }

  // A connected (or connecting) socket; with `tls`, a TLS client over it.
  bool attach(int fd, SSL_CTX* tls);
  // Drops the TLS state (the caller closes the socket).
  void reset();
  // TLS: drives the handshake; plain: ok at once.
  Io handshake();
  Io read(char* into, std::size_t size, std::size_t& got);
  Io write(const char* from, std::size_t size, std::size_t& put);

 private:
  Io tls_status(int rc);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
};

}  // namespace cairn::load
