#include "client/tls_client.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <cerrno>
#include <mutex>

namespace cairn::client {

namespace {

struct CtxDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using Ctx = std::unique_ptr<SSL_CTX, CtxDeleter>;

std::mutex ctx_mutex;
Ctx shared_ctx;  // made on first use, or by use_ca_file

Ctx new_ctx() {
  Ctx ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

SSL_CTX* context() {
  std::lock_guard lock(ctx_mutex);
  if (!shared_ctx) {
    shared_ctx = new_ctx();
    if (shared_ctx) SSL_CTX_set_default_verify_paths(shared_ctx.get());
  }
  return shared_ctx.get();
}

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no reason given";
  char text[256];
  ERR_error_string_n(e, text, sizeof text);
  return text;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

int left_ms(TlsStream::Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

Result<void> use_ca_file(const std::string& pem_file) {
  Ctx ctx = new_ctx();
  if (!ctx) return Error{"TLS: " + openssl_error()};
  if (SSL_CTX_load_verify_locations(ctx.get(), pem_file.c_str(), nullptr) != 1)
    return Error{"--ca " + pem_file + ": not a readable file of PEM certificates (" +
                 openssl_error() + ")"};
  std::lock_guard lock(ctx_mutex);
  shared_ctx = std::move(ctx);
  return {};
}

Result<std::unique_ptr<TlsStream>> TlsStream::open(int fd, const std::string& host,
                                                   const std::string& what, Deadline deadline) {
  SSL_CTX* ctx = context();
  SSL* ssl = ctx ? SSL_new(ctx) : nullptr;
  if (!ssl) return Error{what + ": TLS: " + openssl_error()};
  std::unique_ptr<TlsStream> stream(new TlsStream(fd, ssl));
  SSL_set_fd(ssl, fd);
  // The name to check: an IP address against the certificate's IP
  // entries, a DNS name against its DNS entries (and sent as SNI).
  if (is_ip_literal(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
  }
  for (;;) {
    const int rc = SSL_connect(ssl);
    if (rc == 1) return stream;
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      ERR_clear_error();
      return Error{what + ": certificate not trusted: " + X509_verify_cert_error_string(verify) +
                   " (a private CA's certificates: --ca FILE)"};
    }
    if (!stream->wait_for_retry(rc, deadline))
      return Error{what + ": TLS handshake failed: " + openssl_error()};
  }
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

bool TlsStream::wait_for_retry(int rc, Deadline deadline) {
  const int error = SSL_get_error(ssl_, rc);
  short events;
  if (error == SSL_ERROR_WANT_READ)
    events = POLLIN;
  else if (error == SSL_ERROR_WANT_WRITE)
    events = POLLOUT;
  else
    return false;
  pollfd p{fd_, events, 0};
  for (;;) {
    const int n = poll(&p, 1, left_ms(deadline));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

bool TlsStream::send_all(std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    std::size_t n = 0;
    const int rc = SSL_write_ex(ssl_, data.data(), data.size(), &n);
    if (rc == 1) {
      data.remove_prefix(n);
    } else if (!wait_for_retry(rc, deadline)) {
      ERR_clear_error();
      return false;
    }
  }
  return true;
}

long TlsStream::receive(char* into, std::size_t size, Deadline deadline) {
  for (;;) {
    std::size_t n = 0;
    const int rc = SSL_read_ex(ssl_, into, size, &n);
    if (rc == 1) return static_cast<long>(n);
    const int error = SSL_get_error(ssl_, rc);
    // close_notify, or a server that closed without one (it had answered
    // with Connection: close): the end of the stream either way.
    if (error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) ||
        (error == SSL_ERROR_SSL &&
         ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
      ERR_clear_error();
      return 0;
    }
    if (!wait_for_retry(rc, deadline)) {
      ERR_clear_error();
      return -1;
    }
  }
}

}  // namespace cairn::client
