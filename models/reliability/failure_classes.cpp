#include "models/reliability/failure_classes.hpp"

namespace dcsim::reliability {
namespace {

// Llama 3's snapshot: 54 days of 16,384 GPUs in 2,048 nodes.
constexpr double kLlamaHours = 54 * 24;
constexpr double kLlamaGpus = 16384, kLlamaNodes = 2048;

FailureClass of_llama(const char* name, const char* category, Scope scope, double count, Effect effect) {
  FailureClass c;
  c.name = name;
  c.category = category;
  c.scope = scope;
  c.rate_per_hour = count / (kLlamaHours * (scope == Scope::Gpu ? kLlamaGpus : kLlamaNodes));
  c.effect = effect;
  return c;
}

}  // namespace

const char* to_string(Scope s) {
  switch (s) {
    case Scope::Gpu: return "gpu";
    case Scope::Node: return "node";
    case Scope::Domain: return "nvlink_domain";
    case Scope::Rack: return "rack";
    case Scope::LeafSwitch: return "leaf_switch";
    case Scope::SpineSwitch: return "spine_switch";
  }
  return "?";
}

const char* to_string(Effect e) {
  switch (e) {
    case Effect::ReplaceNode: return "replace_node";
    case Effect::Restart: return "restart";
    case Effect::Degrade: return "degrade";
    case Effect::Straggler: return "straggler";
  }
  return "?";
}

std::vector<FailureClass> llama3_failure_classes() {
  // Table 5's 419 unexpected interruptions, by the component that failed:
  //   gpu: faulty GPU 148, GPU SRAM 19, GPU system processor 17, thermal interface/sensor 6
  //   hbm: GPU HBM3 72;  silent_data_corruption: 6;  nic: 7
  //   network: network switch/cable 35 (the table does not split switches from cables)
  //   host_maintenance: 32;  host: CPU 2, system memory 2, chassis 2, IO board 2
  //   psu: power supply 3;  storage: SSD 3
  //   software: software bug 54, dependency 2;  collective_hang: NCCL watchdog 7
  std::vector<FailureClass> out = {
      of_llama("gpu", "hardware", Scope::Gpu, 148 + 19 + 17 + 6, Effect::ReplaceNode),
      of_llama("hbm", "hardware", Scope::Gpu, 72, Effect::ReplaceNode),
      of_llama("silent_data_corruption", "hardware", Scope::Gpu, 6, Effect::ReplaceNode),
      of_llama("nic", "network", Scope::Gpu, 7, Effect::ReplaceNode),
      of_llama("network", "network", Scope::Node, 35, Effect::ReplaceNode),
      of_llama("host_maintenance", "hardware", Scope::Node, 32, Effect::ReplaceNode),
      of_llama("host", "hardware", Scope::Node, 2 + 2 + 2 + 2, Effect::ReplaceNode),
      of_llama("psu", "hardware", Scope::Node, 3, Effect::ReplaceNode),
      of_llama("storage", "hardware", Scope::Node, 3, Effect::ReplaceNode),
      of_llama("software", "software", Scope::Node, 54 + 2, Effect::Restart),
      of_llama("collective_hang", "software", Scope::Node, 7, Effect::Restart),
  };
  out.back().hang = true;  // found by the watchdog (JobResponse::hang_detect_s)
  return out;
}

std::vector<FailureClass> extra_failure_classes() {
  FailureClass leaf{"leaf_switch", "network", Scope::LeafSwitch, 0, 1, Effect::ReplaceNode, 1, false, -1, -1};
  FailureClass spine{"spine_switch", "network", Scope::SpineSwitch, 0, 1, Effect::Degrade, 1.01, false, -1, 4 * 3600.0};
  FailureClass rack{"rack_power", "hardware", Scope::Rack, 0, 1, Effect::ReplaceNode, 1, false, -1, -1};
  // An NVSwitch (or its tray) takes its whole NVLink domain down: one server of 8 GPUs, or an
  // NVL72 rack's 18 trays.
  FailureClass nvswitch{"nvswitch", "hardware", Scope::Domain, 0, 1, Effect::ReplaceNode, 1, false, -1, -1};
  FailureClass slow{"straggler", "hardware", Scope::Gpu, 0, 1, Effect::Straggler, 1.1, false, -1, -1};
  return {leaf, spine, nvswitch, rack, slow};
}

std::vector<FailureClass> default_failure_classes() {
  auto out = llama3_failure_classes();
  for (auto& c : extra_failure_classes()) out.push_back(c);
  return out;
}

std::int64_t component_count(Scope scope, const ClusterShape& s) {
  switch (scope) {
    case Scope::Gpu: return s.gpus;
    case Scope::Node: return s.nodes;
    case Scope::Domain: return (s.nodes + s.nodes_per_domain - 1) / s.nodes_per_domain;
    case Scope::Rack: return (s.nodes + s.nodes_per_rack - 1) / s.nodes_per_rack;
    case Scope::LeafSwitch: return s.leaf_switches;
    case Scope::SpineSwitch: return s.spine_switches;
  }
  return 0;
}

double per_component_hour(double per_1000_node_days, Scope scope, const ClusterShape& s) {
  const double components = double(component_count(scope, s));
  return components > 0 ? per_1000_node_days / 1000.0 / 24.0 * double(s.nodes) / components : 0.0;
}

double per_1000_node_days(const FailureClass& c, const ClusterShape& s) {
  return s.nodes > 0 ? c.rate_per_hour * double(component_count(c.scope, s)) * 24.0 * 1000.0 / double(s.nodes) : 0.0;
}

std::int64_t blast_nodes(const FailureClass& c, const ClusterShape& s) {
  if (c.effect == Effect::Restart || c.effect == Effect::Degrade) return 0;
  switch (c.scope) {
    case Scope::Domain: return s.nodes_per_domain;
    case Scope::Rack: return s.nodes_per_rack;
    case Scope::LeafSwitch: return s.nodes_per_leaf;
    default: return 1;
  }
}

double interruptions_per_hour(const std::vector<FailureClass>& classes, const ClusterShape& s) {
  double rate = 0;
  for (const FailureClass& c : classes)
    if (c.effect != Effect::Degrade) rate += c.rate_per_hour * double(component_count(c.scope, s));
  return rate;
}

}  // namespace dcsim::reliability
