#pragma once
// The server side of one TLS connection, with OpenSSL doing TLS over memory
// buffers: the transport hands it the bytes it read from the socket and
// sends the bytes it produces, so TLS fits the listeners' own epoll loop
// (one read, every request answered, one write) without a socket of its own.
//
//   feed(ciphertext)            what the socket read
//   read(span) -> plaintext     requests, after the handshake (which
//                               feed/read drive on their own)
//   write(plaintext)            replies, encrypted
//   take_output(out)            handshake messages, records, alerts to send
//
// Every call is non-blocking; none touches a socket or the clock.
#include <openssl/ssl.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace cairn::net {

class TlsSession {
 public:
  // Takes ownership of `ssl` (from TlsContext::new_session).
  explicit TlsSession(SSL* ssl);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  enum class Read : std::uint8_t {
    ok,      // `got` bytes read (maybe 0: the handshake or a record is not complete)
    closed,  // the peer sent close_notify
    failed,  // a bad handshake or record: send take_output() (its alert), then close
  };
  struct ReadResult {
    Read status = Read::ok;
    std::size_t got = 0;
    bool more = false;  // stopped because `into` was full: more is buffered here
  };

  // Bytes read from the socket.
  void feed(std::string_view ciphertext);
  // Decrypts into `into` what has arrived, driving the handshake first.
  ReadResult read(std::span<char> into);
  // Encrypts `plaintext` (after the handshake); false when TLS failed.
  bool write(std::string_view plaintext);
  // Appends what must go to the socket to `out`.
  void take_output(std::string& out);
  bool has_output() const;
  bool handshake_done() const;

 private:
  SSL* ssl_;
  BIO* in_;   // ciphertext from the peer (owned by ssl_)
  BIO* out_;  // ciphertext for the peer (owned by ssl_)
};

}  // namespace cairn::net
