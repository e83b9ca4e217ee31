#include "net/worker.hpp"

#include <boost/asio/post.hpp>

namespace cairn::net {

void Worker::start() {
  for (auto& l : listeners_) l->start();
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::close() {
  if (!thread_.joinable() || closing_) return;
  closing_ = true;
  boost::asio::post(io_, [this] {
    for (auto& l : listeners_) l->close();
  });
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  close();
  thread_.join();
}

}  // namespace cairn::net
