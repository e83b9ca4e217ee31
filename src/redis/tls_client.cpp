#include "redis/tls_client.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl/context.hpp>

#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace cairn::redis {

namespace asio = boost::asio;

namespace {

std::string openssl_reason(const boost::system::error_code& ec) {
  std::string text = ec.message();
  ERR_clear_error();
  return text.empty() ? "unknown OpenSSL error" : text;
}

void check_readable(const std::string& file, const char* key) {
  std::ifstream in(file);
  if (!in)
    throw std::runtime_error(std::string(key) + " \"" + file + "\" cannot be read: " +
                             std::error_code(errno, std::generic_category()).message());
}

bool is_address(const std::string& host) {
  unsigned char bytes[16];
  return ::inet_pton(AF_INET, host.c_str(), bytes) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), bytes) == 1;
}

}  // namespace

TlsClient::TlsClient(const TlsOptions& options)
    : context_(std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client)) {
  boost::system::error_code ec;
  context_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                            asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                            asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression,
                        ec);
  SSL_CTX* native = context_->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // flush() retries a partial write with the rest of a buffer that may
  // have grown (and moved) since.
  SSL_CTX_set_mode(native, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_default_passwd_cb(native, [](char*, int, int, void*) { return 0; });
  context_->set_verify_mode(asio::ssl::verify_peer, ec);
  if (options.ca_file.empty()) {
    context_->set_default_verify_paths(ec);
    if (ec)
      throw std::runtime_error("store.redis_tls: the system's CA certificates did not load: " +
                               openssl_reason(ec) + " (or set store.redis_ca_file)");
  } else {
    check_readable(options.ca_file, "store.redis_ca_file");
    context_->load_verify_file(options.ca_file, ec);
    if (ec)
      throw std::runtime_error("store.redis_ca_file \"" + options.ca_file +
                               "\": " + openssl_reason(ec) +
                               " (expected PEM: the CA certificates that sign the Redis nodes')");
  }
  if (options.cert_file.empty() != options.key_file.empty())
    throw std::runtime_error(
        "store.redis_cert_file and store.redis_key_file go together (a client certificate and "
        "its key), but only one is set");
  if (options.cert_file.empty()) return;
  check_readable(options.key_file, "store.redis_key_file");
  check_readable(options.cert_file, "store.redis_cert_file");
  context_->use_private_key_file(options.key_file, asio::ssl::context::pem, ec);
  if (ec)
    throw std::runtime_error("store.redis_key_file \"" + options.key_file +
                             "\": " + openssl_reason(ec) +
                             " (expected an unencrypted PEM private key: PKCS#8, RSA or EC)");
  context_->use_certificate_chain_file(options.cert_file, ec);
  if (ec)
    throw std::runtime_error("store.redis_cert_file \"" + options.cert_file +
                             "\": " + openssl_reason(ec) +
                             " (expected PEM: the client certificate first, then its chain)");
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    throw std::runtime_error("store.redis_key_file \"" + options.key_file +
                             "\" is not the key of the certificate in \"" + options.cert_file +
                             "\"");
  }
}

TlsClient::~TlsClient() = default;

SSL* TlsClient::new_session(const std::string& host) const {
  SSL* ssl = SSL_new(context_->native_handle());
  if (ssl == nullptr) return nullptr;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  const bool address = is_address(host);
  const int named = address ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                            : (SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 &&
                               X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0) == 1);
  if (named != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  return ssl;
}

}  // namespace cairn::redis
