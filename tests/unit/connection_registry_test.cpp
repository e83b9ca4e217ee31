// Delivery to taken-over connections by id, within a worker and across
// two: a live connection gets its bytes, a closed one (or one whose
// descriptor was reused) drops them, counted by the worker that owns it.
// Each worker's io_context is run by hand here (poll), so the posting is
// seen step by step; http_upgrade_test does the same over real sockets
// and threads.
#include "net/connection_registry.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace cairn;

namespace {

// A connection as the registry sees it: a queue that refuses past `cap`.
struct FakeSink final : frontend::ConnectionSink {
  frontend::ConnectionId self;
  std::string received;
  std::size_t cap = 1024;
  frontend::ConnectionId id() const override { return self; }
  bool send(std::string_view bytes) override {
    if (received.size() + bytes.size() > cap) return false;
    received.append(bytes);
    return true;
  }
};

struct TwoWorkers : ::testing::Test {
  tracker::AccessList access{tracker::AccessMode::off, {}};
  boost::asio::io_context io0{1}, io1{1};
  frontend::WorkerState state0{1, {}, access}, state1{2, {}, access};
  net::ConnectionRegistry r0{0, io0, state0.counters}, r1{1, io1, state1.counters};

  TwoWorkers() {
    r0.set_peers({&r0, &r1});
    r1.set_peers({&r0, &r1});
  }
  static std::uint64_t dropped(const frontend::WorkerState& s) {
    return s.counters.connections.deliveries_dropped.load();
  }
};

}  // namespace

TEST_F(TwoWorkers, DeliversToALiveConnectionOfItsOwnWorkerAtOnce) {
  FakeSink sink;
  sink.self = r0.add(7, sink);
  EXPECT_EQ(sink.self.worker, 0u);
  EXPECT_EQ(sink.self.slot, 7u);
  EXPECT_NE(sink.self.generation, 0u);
  EXPECT_TRUE(r0.deliver(sink.self, "hello"));
  EXPECT_EQ(sink.received, "hello");  // no posting within a worker
  EXPECT_EQ(dropped(state0), 0u);
}

TEST_F(TwoWorkers, DeliversToAnotherWorkersConnectionOnThatWorkersThread) {
  FakeSink sink;
  sink.self = r1.add(9, sink);
  EXPECT_TRUE(r0.deliver(sink.self, "offer"));
  EXPECT_EQ(sink.received, "");  // posted, not touched from worker 0
  io0.poll();
  EXPECT_EQ(sink.received, "");
  io1.poll();
  EXPECT_EQ(sink.received, "offer");
  EXPECT_EQ(dropped(state0) + dropped(state1), 0u);
}

TEST_F(TwoWorkers, AMessageForAConnectionClosedMeanwhileIsDroppedAndCountedByItsOwner) {
  FakeSink sink;
  sink.self = r1.add(9, sink);
  EXPECT_TRUE(r0.deliver(sink.self, "offer"));  // in flight
  r1.remove(sink.self);                         // the connection closes first
  io1.poll();
  EXPECT_EQ(sink.received, "");
  EXPECT_EQ(dropped(state1), 1u);
  EXPECT_EQ(dropped(state0), 0u);
  EXPECT_EQ(r1.size(), 0u);
}

TEST_F(TwoWorkers, AnIdOutlivesItsConnectionButNeverNamesTheNextOnTheSameDescriptor) {
  FakeSink old_sink, new_sink;
  old_sink.self = r1.add(9, old_sink);
  r1.remove(old_sink.self);
  new_sink.self = r1.add(9, new_sink);  // the kernel gave fd 9 to a new connection
  EXPECT_EQ(new_sink.self.slot, old_sink.self.slot);
  EXPECT_NE(new_sink.self.generation, old_sink.self.generation);

  EXPECT_TRUE(r0.deliver(old_sink.self, "for the old one"));
  EXPECT_TRUE(r0.deliver(new_sink.self, "for the new one"));
  io1.poll();
  EXPECT_EQ(old_sink.received, "");
  EXPECT_EQ(new_sink.received, "for the new one");
  EXPECT_EQ(dropped(state1), 1u);

  // Within the worker too, and removing by the stale id changes nothing.
  EXPECT_FALSE(r1.deliver(old_sink.self, "again"));
  r1.remove(old_sink.self);
  EXPECT_EQ(r1.size(), 1u);
  EXPECT_TRUE(r1.deliver(new_sink.self, "!"));
  EXPECT_EQ(new_sink.received, "for the new one!");
}

TEST_F(TwoWorkers, AFullQueueRefusesAndTheOwnerCountsTheDrop) {
  FakeSink sink;
  sink.cap = 4;
  sink.self = r1.add(3, sink);
  EXPECT_FALSE(r1.deliver(sink.self, "too long"));
  EXPECT_EQ(dropped(state1), 1u);
  EXPECT_TRUE(r0.deliver(sink.self, "also too long"));  // not known on worker 0
  io1.poll();
  EXPECT_EQ(dropped(state1), 2u);
  EXPECT_EQ(sink.received, "");
}

TEST_F(TwoWorkers, AnIdNamingNoWorkerOrNoConnectionIsDroppedAtOnce) {
  EXPECT_FALSE(r0.deliver({5, 1, 1}, "nobody"));      // no worker 5
  EXPECT_FALSE(r0.deliver({1, 1, 0}, "no one"));      // generation 0 names none
  EXPECT_FALSE(r0.deliver({0, 1000, 1}, "no slot"));  // never added here
  EXPECT_EQ(dropped(state0), 3u);
  EXPECT_EQ(io1.poll(), 0u);  // nothing was posted
}
