#include "sim/event_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <queue>
#include <random>
#include <vector>

using dcsim::EventQueue;
using dcsim::Time;

TEST(EventQueue, PopsInTimeOrder) {
  EventQueue q;
  const std::vector<std::int64_t> times = {50, 10, 40, 20, 30};
  for (std::uint32_t i = 0; i < times.size(); ++i) q.push(Time::ns(times[i]), i);
  std::vector<std::int64_t> got;
  while (!q.empty()) got.push_back(q.pop().time);
  EXPECT_EQ(got, (std::vector<std::int64_t>{10, 20, 30, 40, 50}));
}

TEST(EventQueue, EqualTimesLeaveInPushOrder) {
  EventQueue q;
  for (std::uint32_t i = 0; i < 100; ++i) q.push(Time::ns(7), i);
  for (std::uint32_t i = 0; i < 100; ++i) EXPECT_EQ(q.pop().payload(), i);
}

TEST(EventQueue, NegativeTimesOrderBeforePositive) {
  EventQueue q;
  q.push(Time::ns(5), 0);
  q.push(Time::ns(-5), 1);
  q.push(Time::ns(0), 2);
  EXPECT_EQ(q.pop().payload(), 1u);
  EXPECT_EQ(q.pop().payload(), 2u);
  EXPECT_EQ(q.pop().payload(), 0u);
}

// Property: against a reference ordering on random interleavings of push and pop,
// including the deferred-pop path (pop followed by push) and many duplicate times.
TEST(EventQueue, MatchesReferenceOnRandomOperations) {
  std::mt19937_64 rng(42);
  EventQueue q;
  using Ref = std::pair<std::int64_t, std::uint64_t>;
  std::priority_queue<Ref, std::vector<Ref>, std::greater<>> ref;
  std::uint64_t seq = 0;
  std::vector<std::uint32_t> payload_of_seq;
  std::int64_t now = 0;
  for (int step = 0; step < 200000; ++step) {
    const bool push = ref.empty() || rng() % 100 < 55;
    if (push) {
      const std::int64_t t = now + std::int64_t(rng() % 64);
      const auto payload = static_cast<std::uint32_t>(rng() % EventQueue::kMaxPayload);
      q.push(Time::ns(t), payload);
      ref.emplace(t, seq++);
      payload_of_seq.push_back(payload);
    } else {
      const auto e = q.pop();
      const Ref r = ref.top();
      ref.pop();
      ASSERT_EQ(e.time, r.first);
      ASSERT_EQ(e.payload(), payload_of_seq[r.second]);
      now = e.time;
    }
    ASSERT_EQ(q.size(), ref.size());
  }
}

TEST(EventQueue, RenumbersWhenSequenceRunsOutWithoutChangingOrder) {
  EventQueue q;
  q.push(Time::ns(10), 1);
  q.push(Time::ns(10), 2);
  q.push(Time::ns(5), 3);
  q.jump_sequence_for_testing((~0ull >> EventQueue::kPayloadBits) - 1);
  q.push(Time::ns(10), 4);  // last sequence before the limit
  q.push(Time::ns(10), 5);  // triggers renumbering
  q.push(Time::ns(10), 6);
  std::vector<std::uint32_t> got;
  while (!q.empty()) got.push_back(q.pop().payload());
  EXPECT_EQ(got, (std::vector<std::uint32_t>{3, 1, 2, 4, 5, 6}));
}

TEST(EventQueue, RejectsPayloadBeyondItsField) {
  EventQueue q;
  EXPECT_THROW(q.push(Time::ns(1), EventQueue::kMaxPayload + 1), std::length_error);
}
