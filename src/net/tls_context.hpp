#pragma once
// The server's TLS configuration: a certificate chain and its private key
// from PEM files, through Boost.Asio's OpenSSL context. TLS 1.2 and 1.3
// (OpenSSL prefers 1.3), session tickets on, no compression, buffers of an
// idle connection released.
//
// reload() (SIGHUP) builds a new context from the same files and swaps it in:
// new connections use it, connections already open keep the one they began
// with (each OpenSSL session holds a reference to its context). A pair that
// does not load throws and leaves the current one in place.
#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

// Only the .cpp sees Boost.Asio's OpenSSL headers (they are heavy, and
// GCC warns inside them in files that replace operator new).
namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace cairn::net {

// Why a certificate or key did not load, in one line for a person.
class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TlsContext {
 public:
  // Throws TlsError naming the file, what was wrong and what was expected.
  TlsContext(std::string cert_file, std::string key_file);

  // A new context from the same files; throws TlsError and keeps the old.
  void reload();
  // A server-side OpenSSL session on the current context (it holds its own
  // reference to the context), or null when OpenSSL is out of memory.
  SSL* new_session() const;

  const std::string& cert_file() const { return cert_file_; }
  const std::string& key_file() const { return key_file_; }

 private:
  static std::shared_ptr<boost::asio::ssl::context> load(const std::string& cert_file,
                                                         const std::string& key_file);

  std::string cert_file_;
  std::string key_file_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

}  // namespace cairn::net
