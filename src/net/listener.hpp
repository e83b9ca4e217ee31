#pragma once
// What a Worker knows of each socket it serves: start on the worker's
// io_context, close at shutdown (on the worker's thread). A new kind of
// listener (a WebSocket or admin port) is one more implementation.
namespace cairn::net {

class Listener {
 public:
  Listener() = default;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  virtual ~Listener() = default;

  virtual void start() = 0;
  virtual void close() = 0;
};

}  // namespace cairn::net
