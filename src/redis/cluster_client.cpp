#include "redis/cluster_client.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <stdexcept>
#include <thread>

#include "store/redis/redirect.hpp"

namespace cairn::redis {

using codec::resp::Node;
using codec::resp::Reply;
using codec::resp::Status;
using store::redis::Batch;
using store::redis::Decision;
using store::redis::NodeAddress;
using store::redis::Replies;
using store::redis::SlotMap;
using store::redis::Step;

namespace {

constexpr auto kRefreshEvery = std::chrono::milliseconds(100);

int millis_until(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 60'000));
}

// The header of call c: EVALSHA sha, EVAL body, or a plain command's
// array header; the call's own args follow.
void write_call(std::string& out, const Batch& batch, const Batch::Call& c, bool eval) {
  if (c.script == nullptr) {
    codec::resp::write_array_header(out, c.argc);
  } else {
    codec::resp::write_array_header(out, 2 + c.argc);
    codec::resp::write_bulk(out, eval ? std::string_view("EVAL") : std::string_view("EVALSHA"));
    codec::resp::write_bulk(out, eval ? c.script->body : c.script->sha1);
  }
  out.append(batch.args(c));
}

std::optional<SlotMap> read_map(Connection& conn, Clock::time_point deadline, std::string& why) {
  std::vector<Node> nodes;
  std::string bytes;
  std::string command;
  codec::resp::write_command(command, {"CLUSTER", "SHARDS"});
  if (!conn.roundtrip(command, deadline, nodes, bytes)) {
    why = "no reply to CLUSTER SHARDS";
    return std::nullopt;
  }
  if (!Reply(nodes.data(), bytes).is_error())
    if (auto map = SlotMap::from_shards(Reply(nodes.data(), bytes), conn.node(), conn.tls()))
      return map;
  // Before Redis 7, or a reply we could not read: the older command.
  command.clear();
  codec::resp::write_command(command, {"CLUSTER", "SLOTS"});
  if (!conn.roundtrip(command, deadline, nodes, bytes)) {
    why = "no reply to CLUSTER SLOTS";
    return std::nullopt;
  }
  const Reply r(nodes.data(), bytes);
  if (r.is_error()) {
    why = "CLUSTER SLOTS: " + std::string(r.text().substr(0, 200));
    return std::nullopt;
  }
  auto map = SlotMap::from_slots(r, conn.node());
  if (!map) why = "a CLUSTER SLOTS reply that is not a slot map";
  return map;
}

}  // namespace

struct ClusterClient::Session {
  explicit Session(std::shared_ptr<const TlsClient> t) : tls(std::move(t)) {}
  std::shared_ptr<const TlsClient> tls;
  std::vector<std::unique_ptr<Connection>> connections;
  std::vector<Node> nodes;  // scratch for one reply

  Connection& to(const NodeAddress& node) {
    for (auto& c : connections)
      if (c->node() == node) return *c;
    connections.push_back(std::make_unique<Connection>(node, tls));
    return *connections.back();
  }
};

// One exec(): the calls' progress, and the connections used this round.
struct ClusterClient::Exchange {
  struct CallState {
    bool done = false;
    bool eval = false;    // after NOSCRIPT: send the script's text
    bool asking = false;  // after ASK: ASKING first, to `target`, once
    unsigned redirections = 0;
    std::optional<NodeAddress> target;  // after MOVED or ASK
  };
  struct Expect {
    std::size_t call;
    bool asking_reply;  // the +OK of an ASKING
  };
  struct Group {
    Connection* conn;
    std::vector<Expect> expect;
    std::size_t next = 0;
    bool broken = false;
  };

  const Batch& batch;
  Replies& replies;
  store::RemoteCounters& counters;
  Clock::time_point deadline;
  std::vector<CallState> calls;
  std::vector<Group> groups;
  std::size_t pending;
  bool want_refresh = false;
  bool back_off = false;

  Exchange(const Batch& b, Replies& r, store::RemoteCounters& n, Clock::time_point by)
      : batch(b), replies(r), counters(n), deadline(by), calls(b.size()), pending(b.size()) {}

  Group& group_for(Connection& conn) {
    for (Group& g : groups)
      if (g.conn == &conn) return g;
    groups.push_back({&conn, {}, 0, false});
    return groups.back();
  }
  void abandon(std::size_t i) {
    if (calls[i].done) return;
    calls[i].done = true;
    --pending;
  }
  // A reply for call i, from `node`: done, or where to send it next.
  void handle(std::size_t i, const Connection& conn, std::size_t start, std::size_t end,
              const std::vector<Node>& nodes) {
    CallState& c = calls[i];
    const Reply reply(nodes.data(), conn.input());
    const Decision d = store::redis::decide(reply, conn.node(), c.redirections);
    ++c.redirections;
    switch (d.step) {
      case Step::done:
        if (reply.is_error()) store::RemoteCounters::add(counters.error_replies);
        replies.set(i, conn.input(), start, end, nodes);
        abandon(i);  // done: not pending any more
        break;
      case Step::moved:
        store::RemoteCounters::add(counters.redirections);
        c.target = d.to;
        c.asking = false;
        want_refresh = true;
        break;
      case Step::ask:
        store::RemoteCounters::add(counters.redirections);
        c.target = d.to;
        c.asking = true;
        break;
      case Step::retry_later:
        c.target.reset();
        want_refresh = back_off = true;
        break;
      case Step::send_script:
        c.eval = true;
        break;
      case Step::give_up:
        store::RemoteCounters::add(counters.error_replies);
        abandon(i);
        break;
    }
  }
};

ClusterClient::ClusterClient(ClusterOptions options, std::chrono::milliseconds startup_timeout)
    : options_(std::move(options)) {
  if (options_.seeds.empty()) throw std::runtime_error("no Redis node given");
  Session s(options_.tls);
  std::string why;
  if (!refresh(s, Clock::now() + startup_timeout, true, &why)) {
    std::string nodes;
    for (const auto& n : options_.seeds) nodes += (nodes.empty() ? "" : ", ") + n.to_string();
    throw std::runtime_error("no Redis Cluster node answered (tried " + nodes + "): " + why);
  }
}

ClusterClient::~ClusterClient() = default;

std::unique_ptr<ClusterClient::Session> ClusterClient::take_session() {
  std::lock_guard lock(mutex_);
  if (sessions_.empty()) return std::make_unique<Session>(options_.tls);
  auto s = std::move(sessions_.back());
  sessions_.pop_back();
  return s;
}

void ClusterClient::give_back(std::unique_ptr<Session> s) {
  std::lock_guard lock(mutex_);
  sessions_.push_back(std::move(s));
}

std::shared_ptr<const SlotMap> ClusterClient::map() const {
  std::lock_guard lock(mutex_);
  return map_;
}

std::vector<NodeAddress> ClusterClient::masters() const {
  auto m = map();
  return m ? m->nodes() : std::vector<NodeAddress>{};
}

std::size_t ClusterClient::slots_covered() const {
  auto m = map();
  return m ? m->covered() : 0;
}

std::optional<NodeAddress> ClusterClient::master_of(std::uint16_t slot) const {
  auto m = map();
  if (!m) return std::nullopt;
  const auto owner = m->owner(slot);
  if (!owner) return std::nullopt;
  return m->nodes()[*owner];
}

void ClusterClient::refresh_map() {
  std::unique_ptr<Session> s = take_session();
  refresh(*s, Clock::now() + options_.timeout, false);
  give_back(std::move(s));
}

bool ClusterClient::is_down(const NodeAddress& node, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  for (const Down& d : down_)
    if (d.node == node) return now < d.until;
  return false;
}

void ClusterClient::mark_down(const NodeAddress& node, const std::string& why) {
  const auto until = Clock::now() + options_.down_time;
  std::lock_guard lock(mutex_);
  for (Down& d : down_) {
    if (d.node == node) {
      d.until = until;
      return;
    }
  }
  down_.push_back({node, until});
  spdlog::warn("redis node {} unreachable: {}", node.to_string(), why);
}

void ClusterClient::mark_up(const NodeAddress& node) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(down_.begin(), down_.end(), [&](const Down& d) { return d.node == node; });
  if (it == down_.end()) return;
  down_.erase(it);
  spdlog::info("redis node {} reachable again", node.to_string());
}

bool ClusterClient::refresh(Session& s, Clock::time_point deadline, bool force, std::string* why) {
  std::vector<NodeAddress> candidates;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    if (!force && now - last_refresh_ < kRefreshEvery) return false;
    last_refresh_ = now;
    if (map_) candidates = map_->nodes();
  }
  for (const auto& seed : options_.seeds)
    if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end())
      candidates.push_back(seed);
  std::string reasons;
  for (const NodeAddress& node : candidates) {
    if (Clock::now() >= deadline) break;
    if (!force && is_down(node, Clock::now())) continue;
    Connection& conn = s.to(node);
    std::string error;
    if (!ensure(conn, deadline, error)) {
      mark_down(node, error);
      reasons += (reasons.empty() ? "" : "; ") + node.to_string() + ": " + error;
      continue;
    }
    auto map = read_map(conn, deadline, error);
    if (!map) {
      conn.close();
      reasons += (reasons.empty() ? "" : "; ") + node.to_string() + ": " + error;
      continue;
    }
    mark_up(node);
    auto fresh = std::make_shared<const SlotMap>(std::move(*map));
    store::RemoteCounters::add(counters_.map_refreshes);
    std::lock_guard lock(mutex_);
    if (map_ && map_->nodes() != fresh->nodes()) store::RemoteCounters::add(counters_.failovers);
    if (!map_ || map_->nodes() != fresh->nodes() || map_->covered() != fresh->covered())
      spdlog::info("redis cluster: {} masters, {} of 16384 slots served", fresh->nodes().size(),
                   fresh->covered());
    map_ = std::move(fresh);
    return true;
  }
  if (why) *why = reasons.empty() ? "timed out" : reasons;
  return false;
}

void ClusterClient::exchange(Session& s, Exchange& x) {
  std::vector<pollfd> fds;
  std::vector<Exchange::Group*> live;
  auto broken = [&](Exchange::Group& g) {
    g.broken = true;
    // Its calls may have run: none is sent again.
    for (; g.next < g.expect.size(); ++g.next) x.abandon(g.expect[g.next].call);
    g.conn->close();
    x.want_refresh = true;
  };
  auto read_replies = [&](Exchange::Group& g) {
    while (g.next < g.expect.size()) {
      s.nodes.clear();
      const std::size_t start = g.conn->consumed();
      const codec::resp::Parsed p = g.conn->next_reply(s.nodes);
      if (p.status == Status::incomplete) return;
      if (p.status == Status::invalid) return broken(g);
      const Exchange::Expect e = g.expect[g.next++];
      if (!e.asking_reply) x.handle(e.call, *g.conn, start, p.end, s.nodes);
    }
  };
  while (true) {
    fds.clear();
    live.clear();
    for (Exchange::Group& g : x.groups) {
      if (g.broken || g.next == g.expect.size()) continue;
      if (g.conn->wants_write() && !g.conn->flush()) {
        broken(g);
        continue;
      }
      const short events = static_cast<short>(POLLIN | (g.conn->wants_write() ? POLLOUT : 0));
      fds.push_back({g.conn->fd(), events, 0});
      live.push_back(&g);
    }
    if (fds.empty()) break;
    const int n = ::poll(fds.data(), fds.size(), millis_until(x.deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // out of time: whatever is still coming would arrive out of turn
      for (Exchange::Group* g : live) broken(*g);
      break;
    }
    for (std::size_t k = 0; k < live.size(); ++k) {
      Exchange::Group& g = *live[k];
      const short re = fds[k].revents;
      if ((re & POLLOUT) != 0 && !g.conn->flush()) {
        broken(g);
        continue;
      }
      if ((re & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const bool open = g.conn->fill();
      read_replies(g);
      if (!open && !g.broken && g.next < g.expect.size()) broken(g);
    }
  }
  for (Exchange::Group& g : x.groups)
    if (!g.broken) g.conn->discard_consumed();
}

void ClusterClient::exec(const Batch& batch, Replies& replies) {
  replies.reset(batch.size());
  if (batch.empty()) return;
  Exchange x(batch, replies, counters_, Clock::now() + options_.timeout);
  std::unique_ptr<Session> s = take_session();
  bool refreshed = false;
  while (x.pending > 0 && Clock::now() < x.deadline) {
    x.groups.clear();
    x.want_refresh = x.back_off = false;
    const std::shared_ptr<const SlotMap> m = map();
    bool unrouted = false;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Exchange::CallState& c = x.calls[i];
      if (c.done) continue;
      const Batch::Call& call = batch.call(i);
      std::optional<NodeAddress> node = c.target;
      if (!node && m)
        if (auto owner = m->owner(call.slot)) node = m->nodes()[*owner];
      if (!node || is_down(*node, Clock::now())) {
        unrouted = true;
        if (refreshed) x.abandon(i);  // still nowhere to go after a fresh map: fail it now
        continue;
      }
      Connection& conn = s->to(*node);
      std::string error;
      if (!ensure(conn, x.deadline, error)) {
        mark_down(*node, error);
        unrouted = true;
        if (refreshed) x.abandon(i);
        continue;
      }
      Exchange::Group& g = x.group_for(conn);
      if (c.asking) {
        codec::resp::write_command(conn.output(), {"ASKING"});
        g.expect.push_back({i, true});
        c.asking = false;
        c.target.reset();  // an ASK redirection holds for one command
      }
      write_call(conn.output(), batch, call, c.eval);
      g.expect.push_back({i, false});
    }
    if (!x.groups.empty()) {
      store::RemoteCounters::add(counters_.round_trips, x.groups.size());
      std::size_t sent = 0;
      for (const Exchange::Group& g : x.groups) sent += g.expect.size();
      store::RemoteCounters::add(counters_.commands, sent);
      exchange(*s, x);
    }
    if ((unrouted || x.want_refresh) && !refreshed) {
      refreshed = refresh(*s, x.deadline, unrouted) || refreshed;
      if (unrouted && !refreshed) break;  // no node answers: give the rest up now
    }
    if (x.back_off) {
      const auto pause = std::chrono::milliseconds(std::min(50, millis_until(x.deadline)));
      std::this_thread::sleep_for(pause / 5);
    }
  }
  give_back(std::move(s));
  std::size_t unanswered = 0;
  for (std::size_t i = 0; i < replies.size(); ++i) unanswered += replies.answered(i) ? 0 : 1;
  if (unanswered > 0) store::RemoteCounters::add(counters_.unanswered, unanswered);
}

bool ClusterClient::ensure(Connection& conn, Clock::time_point deadline, std::string& error) {
  const std::uint64_t before = conn.connects();
  if (!conn.ensure(options_.credentials, deadline, error)) return false;
  if (before > 0 && conn.connects() > before) store::RemoteCounters::add(counters_.reconnects);
  return true;
}

}  // namespace cairn::redis
