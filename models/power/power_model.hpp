#pragma once
// Device, rack and facility power over simulated time (docs/power.md).
//
// A device draws  P = idle + (max - idle) * F(activity) * f^3,  where F is the activity's
// fraction of the dynamic range (compute, memory-bound, communication, idle = 0) and f the
// clock as a fraction of nominal. Power caps (per rack, per facility) become a uniform
// per-device power limit, and each activity runs at the highest clock that keeps the device
// under it: f = min(1, cbrt((limit - idle) / ((max - idle) * F))). Since every device stays
// under its share, no cap is ever exceeded; the slower clock lengthens compute-bound work.
//
// Sums are kept in integer microwatts, so adding and removing a device's draw never drifts,
// and every change is integrated exactly (energy = integral of power).
#include <array>
#include <cstdint>
#include <vector>

#include "models/hardware/cluster.hpp"
#include "models/power/binned_series.hpp"
#include "sim/statistics.hpp"
#include "sim/time.hpp"

namespace dcsim::power {

enum class Activity : std::uint8_t { Idle, Compute, Memory, Communication };
inline constexpr int kActivityCount = 4;

// PUE as a function of IT load: linear between its value at idle and at full load.
struct PueModel {
  double at_idle = 1.2;
  double at_full = 1.2;
  double operator()(double load_fraction) const;
};

struct FacilitySpec {
  PueModel pue;
  double device_limit_w = 0;    // 0: the chip's TDP; else a board power limit (nvidia-smi -pl)
  double rack_limit_w = 0;      // 0: no cap
  double facility_limit_w = 0;  // 0: no cap; applies to facility power (IT x PUE)
  double network_power_w = 0;   // switches and optics of the scale-out fabric
};

class PowerModel {
 public:
  PowerModel(const hardware::Cluster& cluster, const FacilitySpec& spec, Time bin_width = Time::ms(1));

  // Clock fraction and board power of a device doing `a` under the power limit.
  double clock(Activity a) const { return clock_[static_cast<int>(a)]; }
  double device_power_w(Activity a) const { return power_uw_[static_cast<int>(a)] * 1e-6; }
  double device_limit_w() const { return device_limit_w_; }

  Activity activity(std::int64_t device) const { return static_cast<Activity>(activity_[device]); }
  void set_activity(std::int64_t device, Activity a, Time now);
  // `count` consecutive devices from `first` take activity `a` (one rack walk, one record).
  void set_activity_range(std::int64_t first, std::int64_t count, Activity a, Time now);

  double it_power_w() const { return double(it_uw_) * 1e-6; }
  double facility_power_w() const;
  double rack_power_w(std::int64_t rack) const { return double(rack_uw_[rack]) * 1e-6; }  // devices and hosts
  double it_max_w() const { return it_max_w_; }
  double idle_it_power_w() const;

  // Closes the records at the end of the run. The series and the energies are complete only
  // after it (changes are written once per instant); peaks and present power always are.
  void finish(Time end);
  double facility_energy_j() const { return facility_.integral(end_); }
  double it_energy_j() const { return it_.integral(end_); }
  double facility_average_w() const { return facility_.average(end_); }
  double facility_peak_w() const { return facility_peak_w_; }
  double rack_peak_w(std::int64_t rack) const { return rack_peak_uw_[rack] * 1e-6; }
  double rack_energy_j(std::int64_t rack) const { return rack_energy_[rack].integral(end_); }
  const BinnedSeries& facility_series() const { return facility_series_; }
  const BinnedSeriesSet& rack_series() const { return rack_series_; }  // one signal per rack
  const hardware::Cluster& cluster() const { return cluster_; }

 private:
  void record(Time now, std::int64_t first_rack, std::int64_t last_rack);
  void flush_series();  // the racks changed at series_at_ (and the facility) into their series

  const hardware::Cluster& cluster_;
  FacilitySpec spec_;
  double device_limit_w_ = 0;
  std::array<double, kActivityCount> clock_{};
  std::array<std::int64_t, kActivityCount> power_uw_{};
  std::vector<std::uint8_t> activity_;
  std::vector<std::int64_t> rack_uw_;       // devices + hosts + network share
  std::vector<std::int64_t> rack_peak_uw_;
  std::int64_t it_uw_ = 0;
  std::int64_t network_uw_ = 0;
  double it_max_w_ = 0;
  double facility_peak_w_ = 0;
  TimeWeighted facility_, it_;
  std::vector<TimeWeighted> rack_energy_;
  BinnedSeries facility_series_;
  BinnedSeriesSet rack_series_;
  Time end_ = Time::zero();
  Time series_at_ = Time::zero();
  std::vector<std::uint8_t> rack_dirty_;
  // The power each rack's series, and the IT and facility series, hold now: an instant that
  // leaves a power where it was (one stage's task ends as the next begins) writes nothing.
  std::vector<std::int64_t> rack_written_uw_;
  std::int64_t it_written_uw_ = 0;
  std::vector<std::int64_t> dirty_racks_;
  bool facility_dirty_ = false;
};

}  // namespace dcsim::power
