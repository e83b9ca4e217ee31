// UDP demultiplexing without sockets: which entry of the table takes a
// datagram, that each handler gets its share of a batch in one call, and
// what is dropped before any handler (a source over its rate limit, a
// datagram no entry takes).
#include "frontend/datagram_dispatcher.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "codec/rendezvous_udp.hpp"
#include "codec/udp_tracker.hpp"
#include "frontend/rendezvous_udp.hpp"
#include "frontend/udp_frontend.hpp"
#include "frontend/worker_state.hpp"
#include "support/endpoints.hpp"

using namespace cairn;
using frontend::DatagramMatcher;

namespace {

std::vector<std::uint8_t> bytes(std::initializer_list<unsigned> b) { return {b.begin(), b.end()}; }

// A BEP 15-shaped header: connection id, action, transaction id.
std::vector<std::uint8_t> header(std::uint64_t cid, std::uint32_t action) {
  std::vector<std::uint8_t> p(16);
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(cid >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<std::uint8_t>(action >> (24 - 8 * i));
  return p;
}

// Records what it was handed and answers each datagram with its tag.
class Recorder final : public frontend::DatagramHandler {
 public:
  explicit Recorder(std::uint8_t tag) : tag_(tag) {}
  void handle(std::span<frontend::Datagram* const> batch,
              const tracker::RequestContext&) const override {
    calls.push_back(batch.size());
    for (auto* d : batch) {
      d->out[0] = tag_;
      d->reply = 1;
    }
  }
  mutable std::vector<std::size_t> calls;

 private:
  std::uint8_t tag_;
};

struct DispatcherTest : ::testing::Test {
  tracker::AccessList access{tracker::AccessMode::off, {}};
  std::vector<std::vector<std::uint8_t>> packets;
  std::vector<std::array<std::uint8_t, 16>> replies;

  std::vector<frontend::Datagram> batch_from(const core::Endpoint& from) {
    replies.resize(packets.size());
    std::vector<frontend::Datagram> batch;
    for (std::size_t i = 0; i < packets.size(); ++i)
      batch.push_back({packets[i], from, replies[i], 0});
    return batch;
  }
};

}  // namespace

TEST(DatagramMatcher, RendezvousEntryTakesWhatTheCodecCallsRendezvous) {
  const auto m = frontend::RendezvousUdp::matcher();
  for (std::uint32_t action = 0; action < 40; ++action) {
    auto p = header(0x0123'4567'89AB'CDEF, action);
    for (std::size_t size = 0; size <= p.size(); ++size) {
      std::span<const std::uint8_t> packet(p.data(), size);
      EXPECT_EQ(m.matches(packet), codec::rvudp::is_rendezvous(packet))
          << "action " << action << ", " << size << " bytes";
    }
  }
}

TEST(DatagramMatcher, StunAndKrpcAreTellableFromBep15) {
  // A STUN Binding request (RFC 8489): type 0x0001, length 0, cookie, id.
  auto stun = bytes({0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42});
  stun.resize(20, 0xAB);
  const std::string ping = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
  const std::vector<std::uint8_t> krpc(ping.begin(), ping.end());
  std::array<std::uint8_t, 16> connect{};
  ASSERT_EQ(codec::udp::encode_connect_request(1, connect), 16u);

  EXPECT_TRUE(DatagramMatcher::stun().matches(stun));
  EXPECT_FALSE(DatagramMatcher::stun().matches(krpc));
  EXPECT_FALSE(DatagramMatcher::stun().matches(connect));
  EXPECT_FALSE(DatagramMatcher::stun().matches(std::span(stun).first(19)));
  EXPECT_TRUE(DatagramMatcher::krpc().matches(krpc));
  EXPECT_FALSE(DatagramMatcher::krpc().matches(stun));
  EXPECT_FALSE(DatagramMatcher::krpc().matches(connect));
  EXPECT_FALSE(DatagramMatcher::krpc().matches(bytes({'d', '1'})));
  EXPECT_TRUE(DatagramMatcher::any().matches({}));
  // A connection id with the top bit set matches neither (datagram.hpp).
  auto announce = header(0x8064'3A00'2112'A442, 1);
  EXPECT_FALSE(DatagramMatcher::stun().matches(announce));
  EXPECT_FALSE(DatagramMatcher::krpc().matches(announce));
}

TEST_F(DispatcherTest, FirstMatchWinsAndEachHandlerIsCalledOncePerBatch) {
  Recorder krpc(1), rest(2);
  frontend::DatagramDispatcher table;
  table.add(DatagramMatcher::krpc(), krpc);
  table.add(DatagramMatcher::any(), rest);
  const std::string ping = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
  packets = {header(1, 0), {ping.begin(), ping.end()}, header(2, 1), {ping.begin(), ping.end()}};
  frontend::WorkerState state(1, tracker::RateLimitConfig{}, access);
  auto batch = batch_from(test::v4(1));
  table.dispatch(batch, {100, 100'000, {}, state});
  EXPECT_EQ(krpc.calls, std::vector<std::size_t>{2});
  EXPECT_EQ(rest.calls, std::vector<std::size_t>{2});
  for (std::size_t i = 0; i < batch.size(); ++i) EXPECT_EQ(batch[i].out[0], i % 2 ? 1 : 2);
  EXPECT_EQ(state.counters.udp.received.load(), 4u);
}

TEST_F(DispatcherTest, ASourceOverItsLimitIsDroppedUnansweredBeforeAnyHandler) {
  Recorder rest(2);
  frontend::DatagramDispatcher table;
  table.add(DatagramMatcher::any(), rest);
  tracker::RateLimitConfig limits;
  limits.per_second = 1;
  limits.burst = 2;
  limits.trusted.clear();
  frontend::WorkerState state(1, limits, access);
  packets = {header(1, 0), header(2, 0), header(3, 0)};
  auto batch = batch_from(test::v4(1));
  table.dispatch(batch, {100, 100'000, {}, state});
  EXPECT_EQ(rest.calls, std::vector<std::size_t>{2});
  EXPECT_EQ(batch[2].reply, 0u);
  EXPECT_EQ(state.counters.udp.rate_limited.load(), 1u);
}

TEST_F(DispatcherTest, ADatagramNoEntryTakesIsCountedAndDropped) {
  Recorder stun(3);
  frontend::DatagramDispatcher table;
  table.add(DatagramMatcher::stun(), stun);
  packets = {header(1, 0)};
  frontend::WorkerState state(1, tracker::RateLimitConfig{}, access);
  auto batch = batch_from(test::v4(1));
  table.dispatch(batch, {100, 100'000, {}, state});
  EXPECT_TRUE(stun.calls.empty());
  EXPECT_EQ(batch[0].reply, 0u);
  EXPECT_EQ(state.counters.udp.malformed.load(), 1u);
}
