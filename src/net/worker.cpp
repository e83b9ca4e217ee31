#include "net/worker.hpp"

#include <boost/asio/post.hpp>

namespace cairn::net {

void connect_registries(const std::vector<std::unique_ptr<Worker>>& workers) {
  std::vector<ConnectionRegistry*> all;
  for (const auto& w : workers) all.push_back(&w->registry());
  for (auto* r : all) r->set_peers(all);
}

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
