#pragma once
// https for the client: TLS (OpenSSL) over a connected non-blocking socket,
// with deadlines. The server's certificate is verified, and its name
// against the URL's host (a DNS name, or an IP address in its
// subjectAltName), against the system's CAs, or only against the CAs of
// one PEM file (`--ca FILE`, for a private CA) once use_ca_file was called.
#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "client/error.hpp"

namespace cairn::client {

// From now on, trust only the certificates in `pem_file` for https (set
// once, at start, before any exchange). An error names the file and why.
Result<void> use_ca_file(const std::string& pem_file);

class TlsStream {
 public:
  using Deadline = std::chrono::steady_clock::time_point;
  // The handshake over `fd` (connected, non-blocking, still owned by the
  // caller), verifying the certificate for `host`. Errors start with
  // `what` (the URL).
  static Result<std::unique_ptr<TlsStream>> open(int fd, const std::string& host,
                                                 const std::string& what, Deadline deadline);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  bool send_all(std::string_view data, Deadline deadline);
  // Bytes read into `into` (> 0), 0 at the end of the stream, -1 on an
  // error or the deadline.
  long receive(char* into, std::size_t size, Deadline deadline);

 private:
  TlsStream(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  // After a call that returned `rc`: waits for what OpenSSL wants; false
  // when it failed or the deadline passed.
  bool wait_for_retry(int rc, Deadline deadline);

  int fd_;
  SSL* ssl_;
};

}  // namespace cairn::client
