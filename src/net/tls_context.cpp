#include "net/tls_context.hpp"

#include <openssl/err.h>

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <fstream>

namespace cairn::net {

namespace asio = boost::asio;

namespace {

// OpenSSL's own reason ("no start line", "key values mismatch"), without
// the library's error-queue codes.
std::string openssl_reason(const boost::system::error_code& ec) {
  std::string text = ec.message();
  ERR_clear_error();
  return text.empty() ? "unknown OpenSSL error" : text;
}

void check_readable(const std::string& file, const char* what) {
  std::ifstream in(file);
  if (!in)
    throw TlsError(what + std::string(" \"") + file + "\" cannot be read: " +
                   std::error_code(errno, std::generic_category()).message());
}

}  // namespace

TlsContext::TlsContext(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {
  current_ = load(cert_file_, key_file_);
}

std::shared_ptr<asio::ssl::context> TlsContext::load(const std::string& cert_file,
                                                     const std::string& key_file) {
  check_readable(cert_file, "tls.cert_file");
  check_readable(key_file, "tls.key_file");
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression,
                   ec);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // An idle connection keeps no 16 KiB record buffers.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  // An encrypted key fails to load rather than prompt on the terminal.
  SSL_CTX_set_default_passwd_cb(native, [](char*, int, int, void*) { return 0; });
  // The key first: a certificate that does not match it then unsets it,
  // which the check below names plainly.
  ctx->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec)
    throw TlsError("tls.key_file \"" + key_file + "\": " + openssl_reason(ec) +
                   " (expected an unencrypted PEM private key: PKCS#8, RSA or EC)");
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec)
    throw TlsError("tls.cert_file \"" + cert_file + "\": " + openssl_reason(ec) +
                   " (expected PEM: the server's certificate first, then its chain)");
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    throw TlsError("tls.key_file \"" + key_file + "\" is not the key of the certificate in \"" +
                   cert_file + "\"");
  }
  return ctx;
}

void TlsContext::reload() {
  auto fresh = load(cert_file_, key_file_);
  std::lock_guard lock(mutex_);
  current_ = std::move(fresh);
}

SSL* TlsContext::new_session() const {
  std::lock_guard lock(mutex_);  // so a reload cannot free the context meanwhile
  return SSL_new(current_->native_handle());
}

}  // namespace cairn::net
