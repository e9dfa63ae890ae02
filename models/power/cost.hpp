#pragma once
// The cost of a run: server-hours at the server's price plus facility energy at the energy
// price.  cost = servers * hours * price_per_server_hour + kWh * price_per_kWh
namespace dcsim::power {

struct CostSpec {
  double server_price_per_hour = 0;  // USD
  double energy_price_per_j = 0;     // USD per joule (scenarios write USD/kWh)
};

struct Cost {
  double compute_usd = 0;
  double energy_usd = 0;
  double total_usd() const { return compute_usd + energy_usd; }
};

inline Cost run_cost(const CostSpec& spec, double servers, double seconds, double facility_energy_j) {
  Cost c;
  c.compute_usd = servers * seconds / 3600.0 * spec.server_price_per_hour;
  c.energy_usd = facility_energy_j * spec.energy_price_per_j;
  return c;
}

}  // namespace dcsim::power
