#include "sim/simulator.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace dcsim;
using namespace dcsim::time_literals;

TEST(Simulator, RunsEventsInTimeOrderAndAdvancesNow) {
  Simulator sim;
  std::vector<std::pair<std::int64_t, int>> log;
  sim.schedule_at(30_ns, [&] { log.emplace_back(sim.now().count_ns(), 3); });
  sim.schedule_at(10_ns, [&] { log.emplace_back(sim.now().count_ns(), 1); });
  sim.schedule_in(20_ns, [&] { log.emplace_back(sim.now().count_ns(), 2); });
  sim.run();
  EXPECT_EQ(log, (std::vector<std::pair<std::int64_t, int>>{{10, 1}, {20, 2}, {30, 3}}));
  EXPECT_EQ(sim.events_executed(), 3u);
  EXPECT_EQ(sim.now(), 30_ns);
}

TEST(Simulator, TiesRunInSchedulingOrderEvenWhenScheduledFromHandlers) {
  Simulator sim;
  std::string order;
  sim.schedule_at(5_ns, [&] {
    order += 'a';
    sim.schedule_in(0_ns, [&] { order += 'd'; });  // same time, scheduled last: runs last
  });
  sim.schedule_at(5_ns, [&] { order += 'b'; });
  sim.schedule_at(5_ns, [&] { order += 'c'; });
  sim.run();
  EXPECT_EQ(order, "abcd");
}

TEST(Simulator, CancelledEventsDoNotRunAndHandlesAreSafeToReuse) {
  Simulator sim;
  int ran = 0;
  EventHandle a = sim.schedule_at(10_ns, [&] { ran += 1; });
  EventHandle b = sim.schedule_at(20_ns, [&] { ran += 10; });
  EXPECT_TRUE(sim.is_pending(a));
  EXPECT_TRUE(sim.cancel(a));
  EXPECT_FALSE(sim.cancel(a));  // second cancel is a no-op
  EXPECT_EQ(sim.pending(), 1u);
  sim.run();
  EXPECT_EQ(ran, 10);
  EXPECT_FALSE(sim.cancel(b));  // already ran
  EXPECT_EQ(sim.events_executed(), 1u);
}

TEST(Simulator, StaleHandleDoesNotCancelTheSlotsNextEvent) {
  Simulator sim;
  int ran = 0;
  EventHandle old = sim.schedule_at(1_ns, [&] { ++ran; });
  sim.run();
  sim.schedule_at(2_ns, [&] { ran += 100; });  // very likely reuses old's slot
  EXPECT_FALSE(sim.cancel(old));
  sim.run();
  EXPECT_EQ(ran, 101);
}

TEST(Simulator, HandlerCanCancelAnotherPendingEvent) {
  Simulator sim;
  int ran = 0;
  EventHandle later = sim.schedule_at(10_ns, [&] { ran += 100; });
  sim.schedule_at(5_ns, [&] { EXPECT_TRUE(sim.cancel(later)); ++ran; });
  sim.run();
  EXPECT_EQ(ran, 1);
}

TEST(Simulator, RunUntilStopsAtTheLimitInclusiveAndSetsNow) {
  Simulator sim;
  std::vector<int> log;
  for (int i = 1; i <= 5; ++i) sim.schedule_at(Time::ns(i * 10), [&log, i] { log.push_back(i); });
  sim.run_until(30_ns);
  EXPECT_EQ(log, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(sim.now(), 30_ns);
  sim.run_until(35_ns);
  EXPECT_EQ(sim.now(), 35_ns);
  EXPECT_EQ(log.size(), 3u);
  sim.run();
  EXPECT_EQ(log, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(Simulator, StopEndsTheRunAfterTheCurrentEvent) {
  Simulator sim;
  int ran = 0;
  sim.schedule_at(1_ns, [&] { ++ran; sim.stop(); });
  sim.schedule_at(2_ns, [&] { ++ran; });
  sim.run();
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(sim.now(), 1_ns);
  EXPECT_EQ(sim.pending(), 1u);
  sim.run();  // resumes
  EXPECT_EQ(ran, 2);
}

TEST(Simulator, SchedulingInThePastIsAnError) {
  Simulator sim;
  sim.schedule_at(10_ns, [] {});
  sim.run();
  EXPECT_THROW(sim.schedule_at(5_ns, [] {}), std::logic_error);
}

TEST(Simulator, HandlesMillionsOfEventsAndReusesSlots) {
  Simulator sim;
  std::uint64_t count = 0;
  struct Chain {
    Simulator* sim;
    std::uint64_t* count;
    void operator()() const {
      if (++*count < 1'000'000) sim->schedule_in(Time::ns(3), *this);
    }
  };
  for (int i = 0; i < 10; ++i) sim.schedule_at(Time::ns(i), Chain{&sim, &count});
  sim.run();
  EXPECT_EQ(count, 1'000'009u);  // the 10 chains stop once the shared count passes 1e6
  EXPECT_EQ(sim.pending(), 0u);
}

TEST(Time, UnitHelpersAndPrinting) {
  EXPECT_EQ(Time::us(1.5).count_ns(), 1500);
  EXPECT_EQ(Time::ms(2).count_ns(), 2'000'000);
  EXPECT_EQ(Time::s(3).count_ns(), 3'000'000'000);
  EXPECT_EQ(Time::h(1).count_ns(), 3'600'000'000'000);
  EXPECT_EQ(to_string(Time::ns(250)), "250 ns");
  EXPECT_EQ(to_string(Time::us(1.5)), "1.5 us");
  EXPECT_EQ(to_string(Time::ms(12)), "12 ms");
  EXPECT_EQ(to_string(Time::s(90)), "1.5 min");
  EXPECT_EQ(to_string(Time::h(5)), "5 h");
  EXPECT_EQ(to_string(Time::h(72)), "3 d");
  EXPECT_EQ(to_string(Time::ns(-2500)), "-2.5 us");
  EXPECT_EQ(Time::from_seconds(1e30), Time::max());
}
