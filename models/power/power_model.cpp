#include "models/power/power_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dcsim::power {
namespace {
std::int64_t to_uw(double w) { return static_cast<std::int64_t>(std::llround(w * 1e6)); }
}  // namespace

double PueModel::operator()(double load) const {
  const double x = std::clamp(load, 0.0, 1.0);
  return at_idle + (at_full - at_idle) * x;
}

PowerModel::PowerModel(const hardware::Cluster& cluster, const FacilitySpec& spec, Time bin_width)
    : cluster_(cluster),
      spec_(spec),
      activity_(static_cast<std::size_t>(cluster.devices()), static_cast<std::uint8_t>(Activity::Idle)),
      rack_uw_(static_cast<std::size_t>(cluster.racks()), 0),
      rack_peak_uw_(static_cast<std::size_t>(cluster.racks()), 0),
      facility_series_(bin_width),
      rack_series_(static_cast<std::size_t>(cluster.racks()), bin_width),
      rack_dirty_(static_cast<std::size_t>(cluster.racks()), 0) {
  const hardware::PowerCurve& p = cluster.accelerator().power;
  const double n_devices = double(cluster.devices());
  const double hosts_w = cluster.server().host_power_w * double(cluster.servers());
  // Switches sit in network racks: their power counts in IT and facility power, not in
  // the compute racks a rack cap applies to.
  network_uw_ = to_uw(spec.network_power_w);

  // The per-device limit: the tightest of the chip's TDP, a board power limit, its share of a
  // rack cap and its share of the facility cap (facility power = IT power x PUE at full load).
  device_limit_w_ = p.max_w;
  if (spec.device_limit_w > 0) device_limit_w_ = std::min(device_limit_w_, spec.device_limit_w);
  if (spec.rack_limit_w > 0) {
    // The fullest rack (the first) sets the share.
    const std::int64_t servers = cluster.servers_in_rack(0);
    const double share = (spec.rack_limit_w - cluster.server().host_power_w * double(servers)) /
                         double(servers * cluster.devices_per_server());
    device_limit_w_ = std::min(device_limit_w_, share);
  }
  if (spec.facility_limit_w > 0) {
    const double it_budget = spec.facility_limit_w / std::max(spec.pue.at_full, spec.pue.at_idle);
    device_limit_w_ = std::min(device_limit_w_, (it_budget - hosts_w - spec.network_power_w) / n_devices);
  }
  const double dynamic = p.max_w - p.idle_w;
  const std::array<double, kActivityCount> fraction = {0.0, p.compute_fraction, p.memory_fraction,
                                                       p.communication_fraction};
  for (int a = 0; a < kActivityCount; ++a) {
    double f = 1.0;
    const double want = dynamic * fraction[a];
    if (want > 0 && p.idle_w + want > device_limit_w_) f = std::cbrt(std::max(0.0, device_limit_w_ - p.idle_w) / want);
    if (f < p.min_clock)
      throw std::invalid_argument(fmt::format(
          "power cap too low: {} needs {:.0f} W per device to run at its lowest clock ({:.0f} % of nominal), "
          "but the cap leaves {:.0f} W per device",
          cluster.accelerator().name, p.idle_w + want * std::pow(p.min_clock, 3), 100 * p.min_clock, device_limit_w_));
    clock_[a] = f;
    power_uw_[a] = to_uw(p.idle_w + want * f * f * f);
  }

  // Start idle: every device and host, and the network.
  const std::int64_t host_uw = to_uw(cluster.server().host_power_w);
  it_uw_ = network_uw_;
  for (std::int64_t r = 0; r < cluster.racks(); ++r) {
    const std::int64_t devs = cluster.servers_in_rack(r) * cluster.devices_per_server();
    rack_uw_[r] = devs * power_uw_[0] + cluster.servers_in_rack(r) * host_uw;
    it_uw_ += rack_uw_[r];
    rack_peak_uw_[r] = rack_uw_[r];
    rack_energy_.emplace_back(Time::zero(), double(rack_uw_[r]) * 1e-6);
    rack_series_.set(std::size_t(r), Time::zero(), double(rack_uw_[r]) * 1e-6);
  }
  rack_written_uw_ = rack_uw_;
  it_written_uw_ = it_uw_;
  it_max_w_ = n_devices * device_power_w(Activity::Compute) + hosts_w + spec.network_power_w;
  it_ = TimeWeighted(Time::zero(), it_power_w());
  facility_ = TimeWeighted(Time::zero(), facility_power_w());
  facility_peak_w_ = facility_power_w();
  facility_series_.set(Time::zero(), facility_power_w());
}

double PowerModel::facility_power_w() const {
  const double it = it_power_w();
  return it * spec_.pue(it_max_w_ > 0 ? it / it_max_w_ : 0.0);
}

double PowerModel::idle_it_power_w() const {
  return double(cluster_.devices()) * device_power_w(Activity::Idle) +
         cluster_.server().host_power_w * double(cluster_.servers()) + spec_.network_power_w;
}

void PowerModel::set_activity(std::int64_t device, Activity a, Time now) { set_activity_range(device, 1, a, now); }

void PowerModel::set_activity_range(std::int64_t first, std::int64_t count, Activity a, Time now) {
  if (count <= 0) return;
  // The series take each instant's last power: what the previous instant ended with is
  // written before anything changes now.
  if (now != series_at_) flush_series();
  series_at_ = now;
  const std::int64_t new_uw = power_uw_[static_cast<int>(a)];
  const std::int64_t per_rack = cluster_.devices_per_rack();
  bool changed = false;
  // Rack by rack: the rack of a device is a division, done once per rack, not per device.
  for (std::int64_t d = first, end = first + count; d < end;) {
    const std::int64_t rack = d / per_rack, stop = std::min(end, (rack + 1) * per_rack);
    std::int64_t delta = 0;
    for (; d < stop; ++d) {
      const auto old = static_cast<Activity>(activity_[d]);
      if (old == a) continue;
      delta += new_uw - power_uw_[static_cast<int>(old)];
      activity_[d] = static_cast<std::uint8_t>(a);
      changed = true;
    }
    rack_uw_[rack] += delta;
    it_uw_ += delta;
  }
  if (changed) record(now, first / per_rack, (first + count - 1) / per_rack);
}

// Peaks follow every change; the series and integrals take a rack's power once per instant
// (flush_series), since many devices change at the same nanosecond and a piece of zero
// length adds nothing to an integral.
void PowerModel::record(Time now, std::int64_t first_rack, std::int64_t last_rack) {
  facility_dirty_ = true;
  for (std::int64_t r = first_rack; r <= last_rack; ++r) {
    rack_peak_uw_[r] = std::max(rack_peak_uw_[r], rack_uw_[r]);
    if (!rack_dirty_[r]) {
      rack_dirty_[r] = 1;
      dirty_racks_.push_back(r);
    }
  }
  facility_peak_w_ = std::max(facility_peak_w_, facility_power_w());
  end_ = std::max(end_, now);
}

void PowerModel::flush_series() {
  for (const std::int64_t r : dirty_racks_) {
    rack_dirty_[r] = 0;
    if (rack_uw_[r] == rack_written_uw_[r]) continue;
    rack_written_uw_[r] = rack_uw_[r];
    const double w = double(rack_uw_[r]) * 1e-6;
    rack_energy_[r].set(series_at_, w);
    rack_series_.set(std::size_t(r), series_at_, w);
  }
  dirty_racks_.clear();
  if (!facility_dirty_) return;
  facility_dirty_ = false;
  if (it_uw_ == it_written_uw_) return;
  it_written_uw_ = it_uw_;
  const double facility = facility_power_w();
  it_.set(series_at_, it_power_w());
  facility_.set(series_at_, facility);
  facility_series_.set(series_at_, facility);
}

void PowerModel::finish(Time end) {
  flush_series();
  end_ = std::max(end_, end);
  facility_series_.finish(end_);
  rack_series_.finish(end_);
}

}  // namespace dcsim::power
