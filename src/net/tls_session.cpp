#include "net/tls_session.hpp"

#include <openssl/err.h>

#include <climits>

namespace cairn::net {

TlsSession::TlsSession(SSL* ssl)
    : ssl_(ssl), in_(BIO_new(BIO_s_mem())), out_(BIO_new(BIO_s_mem())) {
  // An empty memory BIO reports "retry", not end of file.
  BIO_set_mem_eof_return(in_, -1);
  BIO_set_mem_eof_return(out_, -1);
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

void TlsSession::feed(std::string_view ciphertext) {
  // A memory BIO grows to take all of it; the caller's reads are bounded.
  while (!ciphertext.empty()) {
    const int n = BIO_write(in_, ciphertext.data(),
                            static_cast<int>(std::min<std::size_t>(ciphertext.size(), INT_MAX)));
    if (n <= 0) return;
    ciphertext.remove_prefix(static_cast<std::size_t>(n));
  }
}

TlsSession::ReadResult TlsSession::read(std::span<char> into) {
  ReadResult r;
  while (r.got < into.size()) {
    std::size_t n = 0;
    const int ok = SSL_read_ex(ssl_, into.data() + r.got, into.size() - r.got, &n);
    if (ok == 1) {
      r.got += n;
      continue;
    }
    const int error = SSL_get_error(ssl_, ok);
    ERR_clear_error();  // the error queue is per thread: leave it empty for the next
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return r;
    r.status = error == SSL_ERROR_ZERO_RETURN ? Read::closed : Read::failed;
    return r;
  }
  r.more = SSL_has_pending(ssl_) == 1 || BIO_ctrl_pending(in_) > 0;
  return r;
}

bool TlsSession::write(std::string_view plaintext) {
  if (plaintext.empty()) return true;
  std::size_t n = 0;
  // Into a memory BIO the whole of it is taken at once.
  const int ok = SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &n);
  if (ok == 1 && n == plaintext.size()) return true;
  ERR_clear_error();
  return false;
}

void TlsSession::take_output(std::string& out) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(out_, &data);
  if (size <= 0) return;
  out.append(data, static_cast<std::size_t>(size));
  (void)BIO_reset(out_);
}

bool TlsSession::has_output() const { return BIO_ctrl_pending(out_) > 0; }

bool TlsSession::handshake_done() const { return SSL_is_init_finished(ssl_) == 1; }

}  // namespace cairn::net
