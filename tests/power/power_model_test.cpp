#include "models/power/power_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "models/power/cost.hpp"

using namespace dcsim;
using namespace dcsim::power;

namespace {
// 2 racks x 2 servers x 4 devices; idle 100 W, max 500 W, hosts 1 kW.
struct Fixture {
  hardware::AcceleratorSpec chip;
  hardware::ServerSpec server;
  Fixture() {
    chip.name = "chip";
    chip.power = {100, 500, 1.0, 0.5, 0.25, 0.5};
    server.name = "srv";
    server.accelerator = "chip";
    server.accelerators = 4;
    server.host_power_w = 1000;
  }
  hardware::Cluster cluster() const { return hardware::Cluster({&server, &chip, 4, 2, 0}); }
};
}  // namespace

TEST(PowerModel, DevicePowerByActivity) {
  Fixture f;
  const auto cluster = f.cluster();
  PowerModel p(cluster, FacilitySpec{});
  EXPECT_DOUBLE_EQ(p.device_power_w(Activity::Idle), 100);
  EXPECT_DOUBLE_EQ(p.device_power_w(Activity::Compute), 500);
  EXPECT_DOUBLE_EQ(p.device_power_w(Activity::Memory), 300);
  EXPECT_DOUBLE_EQ(p.device_power_w(Activity::Communication), 200);
  EXPECT_DOUBLE_EQ(p.it_power_w(), 16 * 100 + 4 * 1000);
  EXPECT_DOUBLE_EQ(p.clock(Activity::Compute), 1.0);
}

TEST(PowerModel, EnergyIsTheExactIntegralOfPower) {
  Fixture f;
  const auto cluster = f.cluster();
  FacilitySpec spec;
  spec.pue = {1.5, 1.5};
  PowerModel p(cluster, spec);
  // IT power: 5600 W idle. Device 0 computes over [1 s, 3 s] (+400 W); devices 4..11 are
  // memory-bound over [2 s, 4 s] (+8 x 200 W).
  p.set_activity(0, Activity::Compute, Time::s(1));
  p.set_activity_range(4, 8, Activity::Memory, Time::s(2));
  p.set_activity(0, Activity::Idle, Time::s(3));
  p.set_activity_range(4, 8, Activity::Idle, Time::s(4));
  p.finish(Time::s(5));
  const double it_j = 5600 * 5 + 400 * 2 + 1600 * 2;
  EXPECT_DOUBLE_EQ(p.it_energy_j(), it_j);
  EXPECT_DOUBLE_EQ(p.facility_energy_j(), 1.5 * it_j);
  EXPECT_DOUBLE_EQ(p.facility_peak_w(), 1.5 * (5600 + 400 + 1600));
  EXPECT_DOUBLE_EQ(p.facility_average_w(), 1.5 * it_j / 5);
  // Rack 0 holds devices 0..7: device 0's 800 J and devices 4..7's 4 x 200 W x 2 s.
  EXPECT_DOUBLE_EQ(p.rack_energy_j(0), (8 * 100 + 2000) * 5.0 + 800 + 1600);
  // The binned series integrates to the same energy.
  const auto& s = p.facility_series();
  double binned = 0;
  for (std::size_t b = 0; b < s.bins(); ++b) binned += s.average(b) * s.bin_width().seconds();
  EXPECT_NEAR(binned, p.facility_energy_j(), 1e-6 * p.facility_energy_j());
}

TEST(PowerModel, PueFallsWithLoad) {
  PueModel pue{1.5, 1.1};
  EXPECT_DOUBLE_EQ(pue(0.0), 1.5);
  EXPECT_DOUBLE_EQ(pue(1.0), 1.1);
  EXPECT_DOUBLE_EQ(pue(0.5), 1.3);
  EXPECT_DOUBLE_EQ(pue(2.0), 1.1);
}

TEST(PowerModel, RackCapThrottlesByTheCubeLawAndIsNeverExceeded) {
  Fixture f;
  const auto cluster = f.cluster();
  FacilitySpec spec;
  spec.rack_limit_w = 2000 + 8 * 350;  // hosts + 350 W per device
  PowerModel p(cluster, spec);
  EXPECT_DOUBLE_EQ(p.device_limit_w(), 350);
  // Compute: 100 + 400 f^3 = 350  ->  f = cbrt(250 / 400).
  EXPECT_NEAR(p.clock(Activity::Compute), std::cbrt(250.0 / 400.0), 1e-12);
  EXPECT_NEAR(p.device_power_w(Activity::Compute), 350, 1e-6);
  // Memory-bound (F = 0.5): 100 + 200 f^3 = 350 has f > 1: full clock.
  EXPECT_DOUBLE_EQ(p.clock(Activity::Memory), 1.0);
  std::mt19937 rng(3);
  for (int step = 0; step < 2000; ++step) {
    p.set_activity(rng() % 16, static_cast<Activity>(rng() % 4), Time::us(step));
    for (int r = 0; r < 2; ++r) ASSERT_LE(p.rack_power_w(r), spec.rack_limit_w + 1e-6);
  }
  p.finish(Time::us(2000));
  EXPECT_LE(p.rack_peak_w(0), spec.rack_limit_w + 1e-6);
}

TEST(PowerModel, ABoardPowerLimitThrottlesByTheCubeLawAndTheTightestLimitWins) {
  Fixture f;
  const auto cluster = f.cluster();
  FacilitySpec spec;
  spec.device_limit_w = 300;
  PowerModel p(cluster, spec);
  EXPECT_DOUBLE_EQ(p.device_limit_w(), 300);
  // Compute: 100 + 400 f^3 = 300  ->  f = cbrt(200 / 400).
  EXPECT_NEAR(p.clock(Activity::Compute), std::cbrt(0.5), 1e-12);
  EXPECT_NEAR(p.device_power_w(Activity::Compute), 300, 1e-6);
  // A rack cap leaving 350 W per device is looser: the board limit holds.
  spec.rack_limit_w = 2000 + 8 * 350;
  EXPECT_DOUBLE_EQ(PowerModel(cluster, spec).device_limit_w(), 300);
  // One leaving 250 W is tighter.
  spec.rack_limit_w = 2000 + 8 * 250;
  EXPECT_DOUBLE_EQ(PowerModel(cluster, spec).device_limit_w(), 250);
}

TEST(PowerModel, FacilityCapAndImpossibleCaps) {
  Fixture f;
  const auto cluster = f.cluster();
  FacilitySpec spec;
  spec.pue = {1.25, 1.25};
  spec.facility_limit_w = 1.25 * (4000 + 16 * 300);
  PowerModel p(cluster, spec);
  EXPECT_NEAR(p.device_limit_w(), 300, 1e-9);
  spec.facility_limit_w = 1.25 * (4000 + 16 * 120);  // below 100 + 400 * 0.5^3 = 150 W
  EXPECT_THROW(PowerModel(cluster, spec), std::invalid_argument);
}

TEST(Cost, ServerHoursPlusEnergy) {
  CostSpec spec{55.0, 0.08 / 3.6e6};
  const Cost c = run_cost(spec, 128, 7200, 3.6e9);  // 2 h, 1 MWh
  EXPECT_DOUBLE_EQ(c.compute_usd, 128 * 2 * 55.0);
  EXPECT_DOUBLE_EQ(c.energy_usd, 80.0);
  EXPECT_DOUBLE_EQ(c.total_usd(), 128 * 2 * 55.0 + 80.0);
}

TEST(Cluster, NamesAndAddressesEveryDevice) {
  Fixture f;
  const hardware::Cluster c({&f.server, &f.chip, 10, 3, 2});  // 10 servers, 3 per rack, 2 racks per hall
  EXPECT_EQ(c.devices(), 40);
  EXPECT_EQ(c.racks(), 4);
  EXPECT_EQ(c.halls(), 2);
  EXPECT_EQ(c.device_name(0), "hall0/rack0/server0/gpu0");
  EXPECT_EQ(c.device_name(13), "hall0/rack1/server0/gpu1");
  EXPECT_EQ(c.device_name(39), "hall1/rack1/server0/gpu3");
  for (std::int64_t d = 0; d < c.devices(); ++d) EXPECT_EQ(c.parse_device_name(c.device_name(d)), d);
  EXPECT_FALSE(c.parse_device_name("hall1/rack1/server1/gpu0").has_value());  // no such server
  EXPECT_FALSE(c.parse_device_name("hall0/rack0/server0/gpu9").has_value());
  EXPECT_EQ(c.servers_in_rack(3), 1);
}
