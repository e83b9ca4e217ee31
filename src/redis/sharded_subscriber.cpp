#include "redis/sharded_subscriber.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <system_error>

#include "codec/resp.hpp"
#include "store/redis/key_slot.hpp"

namespace cairn::redis {

using codec::resp::Node;
using codec::resp::Reply;
using store::redis::NodeAddress;

namespace {

// How often channels that could not be placed (no master in the map, a
// connection that failed) are tried again.
constexpr auto kTick = std::chrono::milliseconds(50);

}  // namespace

struct ShardedSubscriber::Link {
  explicit Link(NodeAddress node, std::shared_ptr<const TlsClient> tls)
      : conn(std::move(node), std::move(tls)) {}
  Connection conn;
  std::vector<Node> nodes;  // scratch for one push
};

struct ShardedSubscriber::Channel {
  std::string name;
  std::uint16_t slot = 0;
  Link* on = nullptr;      // where SSUBSCRIBE was sent; null: not placed
  bool confirmed = false;  // Redis acknowledged it
};

ShardedSubscriber::ShardedSubscriber(std::shared_ptr<ClusterClient> cluster, OnMessage on_message)
    : cluster_(std::move(cluster)),
      on_message_(std::move(on_message)),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  thread_ = std::thread([this] { run(); });
}

ShardedSubscriber::~ShardedSubscriber() {
  stop();
  ::close(wake_fd_);
}

void ShardedSubscriber::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_.store(true, std::memory_order_release);
  }
  confirmed_changed_.notify_all();
  wake();
  if (thread_.joinable()) thread_.join();
}

void ShardedSubscriber::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);  // full: awake already
}

void ShardedSubscriber::subscribe(std::string channel) {
  {
    std::lock_guard lock(mutex_);
    settled_.store(false, std::memory_order_release);
    changes_.emplace_back(std::move(channel), true);
  }
  wake();
}

void ShardedSubscriber::unsubscribe(std::string channel) {
  {
    std::lock_guard lock(mutex_);
    changes_.emplace_back(std::move(channel), false);
  }
  wake();
}

bool ShardedSubscriber::wait_subscribed(const std::string& channel,
                                        std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return confirmed_changed_.wait_until(lock, deadline, [&] {
    return stop_.load(std::memory_order_relaxed) || confirmed_.contains(channel);
  }) && !stop_.load(std::memory_order_relaxed);
}

void ShardedSubscriber::confirm(Channel& c, bool confirmed) {
  if (c.confirmed == confirmed) return;
  c.confirmed = confirmed;
  {
    std::lock_guard lock(mutex_);
    if (confirmed)
      confirmed_.insert(c.name);
    else
      confirmed_.erase(c.name);
  }
  if (confirmed) confirmed_changed_.notify_all();
}

ShardedSubscriber::Link& ShardedSubscriber::link_to(const NodeAddress& node) {
  for (auto& l : links_)
    if (l->conn.node() == node) return *l;
  links_.push_back(std::make_unique<Link>(node, cluster_->options().tls));
  return *links_.back();
}

void ShardedSubscriber::apply_changes() {
  std::vector<std::pair<std::string, bool>> changes;
  {
    std::lock_guard lock(mutex_);
    changes.swap(changes_);
  }
  for (auto& [name, wanted] : changes) {
    auto it = std::find_if(channels_.begin(), channels_.end(),
                           [&](const Channel& c) { return c.name == name; });
    if (wanted && it == channels_.end()) {
      channels_.push_back({name, store::redis::key_slot(name), nullptr, false});
    } else if (!wanted && it != channels_.end()) {
      if (it->on != nullptr && it->on->conn.open())
        codec::resp::write_command(it->on->conn.output(), {"SUNSUBSCRIBE", it->name});
      confirm(*it, false);
      channels_.erase(it);
    }
  }
}

// Sends SSUBSCRIBE for `c` to the master of its slot, if the map names one.
void ShardedSubscriber::place(Channel& c) {
  const auto master = cluster_->master_of(c.slot);
  if (!master) return cluster_->refresh_map();
  Link& link = link_to(*master);
  if (!link.conn.open()) {
    std::string error;
    if (!link.conn.ensure(cluster_->options().credentials,
                          Clock::now() + cluster_->options().timeout, error))
      return cluster_->refresh_map();
  }
  codec::resp::write_command(link.conn.output(), {"SSUBSCRIBE", c.name});
  c.on = &link;
  confirm(c, false);
}

// The channels of a broken link are placed again (after a fresh map: a
// broken master is often a failed one).
void ShardedSubscriber::drop(Link& link) {
  link.conn.close();
  for (Channel& c : channels_)
    if (c.on == &link) {
      c.on = nullptr;
      confirm(c, false);
    }
  cluster_->refresh_map();
}

void ShardedSubscriber::read(Link& link) {
  if (!link.conn.fill()) return drop(link);
  while (true) {
    link.nodes.clear();
    const auto p = link.conn.next_reply(link.nodes);
    if (p.status == codec::resp::Status::incomplete) break;
    if (p.status == codec::resp::Status::invalid) return drop(link);
    const Reply r(link.nodes.data(), link.conn.input());
    if (r.is_error()) {
      // MOVED (the slot is elsewhere now) or CLUSTERDOWN: place the
      // unconfirmed channels of this link again once the map is fresh.
      for (Channel& c : channels_)
        if (c.on == &link && !c.confirmed) c.on = nullptr;
      cluster_->refresh_map();
      continue;
    }
    if (r.type() != codec::resp::Type::array || r.size() < 3 || !r.at(0).is_text()) continue;
    const std::string_view kind = r.at(0).text();
    const std::string_view name = r.at(1).is_text() ? r.at(1).text() : std::string_view();
    auto it = std::find_if(channels_.begin(), channels_.end(),
                           [&](const Channel& c) { return c.name == name; });
    if (kind == "smessage") {
      if (it != channels_.end() && r.at(2).is_text()) on_message_(name, r.at(2).text());
    } else if (kind == "ssubscribe") {
      if (it != channels_.end() && it->on == &link) confirm(*it, true);
    } else if (kind == "sunsubscribe") {
      // Asked for (the channel is gone from the list), or the slot moved:
      // then the channel is still wanted and placed again.
      if (it != channels_.end() && it->on == &link) {
        it->on = nullptr;
        confirm(*it, false);
        cluster_->refresh_map();
      }
    }
  }
  link.conn.discard_consumed();
}

void ShardedSubscriber::run() {
  std::vector<pollfd> fds;
  std::vector<Link*> polled;
  while (!stop_.load(std::memory_order_acquire)) {
    apply_changes();
    bool all = true;
    for (Channel& c : channels_) {
      if (c.on == nullptr) place(c);
      all = all && c.on != nullptr && c.confirmed;
    }
    {
      std::lock_guard lock(mutex_);
      settled_.store(all && changes_.empty(), std::memory_order_release);
    }
    fds.clear();
    polled.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    polled.push_back(nullptr);
    for (auto& l : links_) {
      if (!l->conn.open()) continue;
      if (l->conn.wants_write() && !l->conn.flush()) {
        drop(*l);
        continue;
      }
      fds.push_back(
          {l->conn.fd(), static_cast<short>(POLLIN | (l->conn.wants_write() ? POLLOUT : 0)), 0});
      polled.push_back(l.get());
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(kTick.count())) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      std::uint64_t n;
      [[maybe_unused]] const auto r = ::read(wake_fd_, &n, sizeof n);
    }
    for (std::size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) read(*polled[i]);
  }
}

}  // namespace cairn::redis
