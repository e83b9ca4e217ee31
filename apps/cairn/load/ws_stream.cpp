#include "load/ws_stream.hpp"

#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

namespace cairn::load {

SSL_CTX* new_tls_client_context() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) throw std::runtime_error("wss: OpenSSL could not make a client context");
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  // Thousands of idle connections: no read and write buffers while idle.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

void free_tls_client_context(SSL_CTX* ctx) { SSL_CTX_free(ctx); }

bool WsStream::attach(int fd, SSL_CTX* tls) {
  reset();
  fd_ = fd;
  if (tls == nullptr) return true;
  ssl_ = SSL_new(tls);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd) != 1) {
    reset();
    return false;
  }
  SSL_set_connect_state(ssl_);
  return true;
}

void WsStream::reset() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  ssl_ = nullptr;
  fd_ = -1;
}

WsStream::Io WsStream::tls_status(int rc) {
  const int error = SSL_get_error(ssl_, rc);
  ERR_clear_error();  // per-thread queue: leave it empty for the next call
  switch (error) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return Io::again;
    case SSL_ERROR_ZERO_RETURN:
      return Io::closed;
    case SSL_ERROR_SYSCALL:
      return errno == 0 ? Io::closed : Io::failed;
    default:
      return Io::failed;
  }
}

WsStream::Io WsStream::handshake() {
  if (ssl_ == nullptr) return Io::ok;
  const int rc = SSL_do_handshake(ssl_);
  return rc == 1 ? Io::ok : tls_status(rc);
}

WsStream::Io WsStream::read(char* into, std::size_t size, std::size_t& got) {
  got = 0;
  if (ssl_ != nullptr) {
    errno = 0;
    const int rc = SSL_read_ex(ssl_, into, size, &got);
    return rc == 1 ? Io::ok : tls_status(rc);
  }
  auto n = ::recv(fd_, into, size, 0);
  if (n > 0) {
    got = static_cast<std::size_t>(n);
    return Io::ok;
  }
  if (n == 0) return Io::closed;
  return errno == EAGAIN || errno == EWOULDBLOCK ? Io::again : Io::failed;
}

WsStream::Io WsStream::write(const char* from, std::size_t size, std::size_t& put) {
  put = 0;
  if (ssl_ != nullptr) {
    errno = 0;
    const int rc = SSL_write_ex(ssl_, from, size, &put);
    return rc == 1 ? Io::ok : tls_status(rc);
  }
  auto n = ::send(fd_, from, size, MSG_NOSIGNAL);
  if (n >= 0) {
    put = static_cast<std::size_t>(n);
    return Io::ok;
  }
  return errno == EAGAIN || errno == EWOULDBLOCK ? Io::again : Io::failed;
}

}  // namespace cairn::load
