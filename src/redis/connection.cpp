#include "redis/connection.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cairn::redis {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

int millis_until(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 60'000));
}

}  // namespace

codec::resp::Limits reply_limits() {
  codec::resp::Limits l;
  l.max_depth = 4;
  l.max_elements = 1u << 16;  // one reply: an announce of a few hundred peers, a slot map
  l.max_string = 1u << 20;
  l.max_aggregate = 1u << 16;
  return l;
}

bool Connection::wait(short events, Clock::time_point deadline) {
  pollfd p{fd_, events, 0};
  while (true) {
    const int n = ::poll(&p, 1, millis_until(deadline));
    if (n > 0) return (p.revents & (POLLERR | POLLNVAL)) == 0 || (p.revents & events) != 0;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool Connection::connect_by(Clock::time_point deadline, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(node_.port);
  if (int e = ::getaddrinfo(node_.host.c_str(), port.c_str(), &hints, &found); e != 0) {
    error = std::string("cannot resolve the host: ") + ::gai_strerror(e);
    return false;
  }
  error = "no address to connect to";
  for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
    fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd_ < 0) {
      error = std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd_, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (!wait(POLLOUT, deadline)) {
        error = "connect timed out";
        close();
        continue;
      }
      int so_error = 0;
      socklen_t len = sizeof so_error;
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &len);
      rc = so_error == 0 ? 0 : -1;
      errno = so_error;
    }
    if (rc != 0) {
      error = std::strerror(errno);
      close();
      continue;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ::freeaddrinfo(found);
  if (fd_ >= 0) ++connects_;
  return fd_ >= 0;
}

bool Connection::handshake(Clock::time_point deadline, std::string& error) {
  ssl_ = tls_->new_session(node_.host);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    error = "TLS: cannot make a session (out of memory?)";
    return false;
  }
  while (true) {
    ERR_clear_error();
    const int rc = SSL_connect(ssl_);
    if (rc == 1) return true;
    const int e = SSL_get_error(ssl_, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) continue;
      error = "TLS handshake timed out";
      return false;
    }
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      // OpenSSL's words: "unable to get local issuer certificate", "IP
      // address mismatch"...
      error = std::string("TLS: the node's certificate was refused: ") +
              X509_verify_cert_error_string(verify) +
              " (expected one signed by store.redis_ca_file that names " + node_.host + ")";
    } else {
      char text[256] = "the server closed the connection";
      if (const unsigned long code = ERR_get_error(); code != 0)
        ERR_error_string_n(code, text, sizeof text);
      error = std::string("TLS handshake failed: ") + text +
              " (is the node's port a TLS port? does it want a client certificate, "
              "store.redis_cert_file?)";
    }
    ERR_clear_error();
    return false;
  }
}

bool Connection::closed_by_peer() {
  if (ssl_ == nullptr) {
    char byte;
    const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }
  // Idle over TLS, what the server sent can only be a session ticket (the
  // connection is fine) or its close_notify and end of file: reading tells
  // them apart. A reply nobody asked for means the connection is confused.
  char byte;
  return read_some(&byte, 1) != 0;
}

long Connection::read_some(char* data, std::size_t size) {
  if (ssl_ == nullptr) {
    while (true) {
      const ssize_t n = ::recv(fd_, data, size, 0);
      if (n > 0) return n;
      if (n < 0 && errno == EINTR) continue;
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
  }
  ERR_clear_error();
  const int n = SSL_read(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
  if (n > 0) return n;
  const int e = SSL_get_error(ssl_, n);
  ERR_clear_error();
  return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

long Connection::write_some(const char* data, std::size_t size) {
  if (ssl_ == nullptr) {
    while (true) {
      const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
      if (n > 0) return n;
      if (n < 0 && errno == EINTR) continue;
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
  }
  ERR_clear_error();
  const int n = SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
  if (n > 0) return n;
  const int e = SSL_get_error(ssl_, n);
  ERR_clear_error();
  return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

bool Connection::ensure(const Credentials& credentials, Clock::time_point deadline,
                        std::string& error) {
  if (fd_ >= 0) {
    // Already written to this round, or idle and still open: ready.
    if (!out_.empty() || (in_.size() == parsed_ && !closed_by_peer())) return true;
    close();
  }
  if (!connect_by(deadline, error)) return false;
  if (tls_ && !handshake(deadline, error)) {
    close();
    return false;
  }
  if (credentials.password.empty()) return true;
  std::string command;
  if (credentials.user.empty())
    codec::resp::write_command(command, {"AUTH", credentials.password});
  else
    codec::resp::write_command(command, {"AUTH", credentials.user, credentials.password});
  std::vector<codec::resp::Node> nodes;
  std::string reply;
  if (!roundtrip(command, deadline, nodes, reply)) {
    error = "no reply to AUTH";
    close();
    return false;
  }
  const codec::resp::Reply r(nodes.data(), reply);
  if (r.is_error()) {
    // Redis's own words ("WRONGPASS invalid username-password pair..."):
    // they name no secret and say what to fix.
    error = "AUTH refused: " + std::string(r.text().substr(0, 200));
    close();
    return false;
  }
  return true;
}

void Connection::close() {
  // No close_notify: the connection is dropped (broken, or its node
  // restarted), and Redis needs none.
  if (ssl_ != nullptr) SSL_free(ssl_);
  ssl_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  out_.clear();
  sent_ = 0;
  in_.clear();
  parsed_ = 0;
}

bool Connection::flush() {
  while (sent_ < out_.size()) {
    const long n = write_some(out_.data() + sent_, out_.size() - sent_);
    if (n < 0) return false;
    if (n == 0) return true;
    sent_ += static_cast<std::size_t>(n);
  }
  out_.clear();
  sent_ = 0;
  return true;
}

bool Connection::fill() {
  // Until the socket (and, over TLS, OpenSSL's buffer) is empty: the poll
  // loop then waits for more.
  // Read into a chunk of its own and append what came: growing `in_` by a
  // chunk first would zero 64 KiB per read (std::string::resize), which was
  // over half of a one-worker node's instructions on the Redis store.
  if (!chunk_) chunk_ = std::make_unique_for_overwrite<char[]>(kReadChunk);
  while (true) {
    const long n = read_some(chunk_.get(), kReadChunk);
    if (n > 0) {
      in_.append(chunk_.get(), static_cast<std::size_t>(n));
      continue;
    }
    return n == 0;
  }
}

codec::resp::Parsed Connection::next_reply(std::vector<codec::resp::Node>& nodes) {
  const codec::resp::Parsed p = codec::resp::parse(in_, parsed_, nodes, reply_limits());
  if (p.status == codec::resp::Status::complete) parsed_ = p.end;
  return p;
}

void Connection::discard_consumed() {
  in_.erase(0, parsed_);
  parsed_ = 0;
}

bool Connection::roundtrip(std::string_view command, Clock::time_point deadline,
                           std::vector<codec::resp::Node>& nodes, std::string& reply_bytes) {
  out_.append(command);
  while (wants_write()) {
    if (!flush() || (wants_write() && !wait(POLLOUT, deadline))) return false;
  }
  nodes.clear();
  const std::size_t start = parsed_;
  while (true) {
    const codec::resp::Parsed p = next_reply(nodes);
    if (p.status == codec::resp::Status::complete) {
      reply_bytes.assign(in_, start, p.end - start);
      for (codec::resp::Node& n : nodes)
        n.offset = static_cast<std::uint32_t>(n.offset >= start ? n.offset - start : 0);
      discard_consumed();
      return true;
    }
    if (p.status == codec::resp::Status::invalid) return false;
    if (!wait(POLLIN, deadline) || !fill()) return false;
  }
}

}  // namespace cairn::redis
