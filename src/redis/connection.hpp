#pragma once
// One TCP connection to one Redis node: non-blocking, driven by the
// cluster client's poll loop, with an output buffer of pipelined commands
// and an input buffer their replies are parsed from in order; over TLS when
// it is given a TlsClient. Knows nothing of slots or scripts.
#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codec/resp.hpp"
#include "redis/tls_client.hpp"
#include "store/redis/slot_map.hpp"

namespace cairn::redis {

using Clock = std::chrono::steady_clock;

struct Credentials {
  std::string user;      // "" with a password: the default user (AUTH password)
  std::string password;  // "": no AUTH
};

class Connection {
 public:
  // With `tls`, every connection made is TLS, verified against the node's
  // host as given.
  explicit Connection(store::redis::NodeAddress node,
                      std::shared_ptr<const TlsClient> tls = nullptr)
      : node_(std::move(node)), tls_(std::move(tls)) {}
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const store::redis::NodeAddress& node() const { return node_; }
  bool tls() const { return tls_ != nullptr; }
  // Connections made so far (more than one: it was lost and made again).
  std::uint64_t connects() const { return connects_; }
  bool open() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Connects and authenticates if not connected yet, by `deadline`.
  // On failure: false, closed, and `error` says why.
  bool ensure(const Credentials& credentials, Clock::time_point deadline, std::string& error);
  void close();

  // Commands are appended here and sent by flush().
  std::string& output() { return out_; }
  bool wants_write() const { return sent_ < out_.size(); }
  // Sends what it can without blocking; false if the connection broke.
  bool flush();
  // Reads what is there without blocking; false if the connection broke
  // or closed.
  bool fill();
  // The next complete reply in the input, appended to `nodes`: complete,
  // incomplete (read more), or invalid (the connection is useless now).
  codec::resp::Parsed next_reply(std::vector<codec::resp::Node>& nodes);
  // The input read so far; the next reply starts at consumed().
  std::string_view input() const { return in_; }
  std::size_t consumed() const { return parsed_; }
  // Once every reply read has been used: forget the input consumed.
  void discard_consumed();

  // One command and its reply, blocking until `deadline` (start-up, AUTH,
  // refreshing the slot map). False on any failure.
  bool roundtrip(std::string_view command, Clock::time_point deadline,
                 std::vector<codec::resp::Node>& nodes, std::string& reply_bytes);

 private:
  bool connect_by(Clock::time_point deadline, std::string& error);
  // The TLS handshake on the connected socket, by `deadline`.
  bool handshake(Clock::time_point deadline, std::string& error);
  // An idle connection the server has closed (it restarted, say) reads as
  // end of file: better found before a command is written to it.
  bool closed_by_peer();
  bool wait(short events, Clock::time_point deadline);
  // One read or write through TLS or the socket: bytes moved, 0 for "not
  // now" (would block), -1 when the connection is broken or closed.
  long read_some(char* data, std::size_t size);
  long write_some(const char* data, std::size_t size);

  store::redis::NodeAddress node_;
  std::shared_ptr<const TlsClient> tls_;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  std::string out_;
  std::size_t sent_ = 0;
  std::string in_;
  std::unique_ptr<char[]> chunk_;  // what fill() reads into, made at its first read
  std::size_t parsed_ = 0;
  std::uint64_t connects_ = 0;
};

// Limits on replies from Redis: generous for what the stores ask (a sweep
// of 16384 slots in one pipeline, announce replies of a few hundred
// peers), bounded against a broken or hostile server.
codec::resp::Limits reply_limits();

}  // namespace cairn::redis
