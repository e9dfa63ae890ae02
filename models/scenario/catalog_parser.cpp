#include "models/scenario/catalog_parser.hpp"

#include <fmt/format.h>

#include "models/scenario/embedded_catalog.hpp"
#include "models/scenario/reader.hpp"
#include "models/scenario/yaml_loader.hpp"

namespace dcsim::scenario {
namespace {
using hardware::Precision;

// Per-precision FLOP/s or efficiencies: a map whose keys must be precision names.
void read_precision_map(MapReader& parent, const std::string& key, Dimension* d, double min, double max,
                        std::array<double, hardware::kPrecisionCount>& out, bool required) {
  MapReader m = parent.map(key, required);
  for (const std::string& name : m.keys()) {
    const auto p = hardware::parse_precision(name);
    if (!p) continue;  // left for finish(): "unknown key" with a suggestion
    const double v = d ? m.quantity(name, *d, std::nullopt, 0.0, true) : m.number(name, std::nullopt, min, max);
    out[static_cast<int>(*p)] = v;
  }
  for (const std::string& name : hardware::precision_names()) m.raw(name);  // all precisions are known keys
  m.finish();
}

void read_sources(MapReader& r, std::map<std::string, std::string>& out, const char* key = "sources") {
  MapReader s = r.map(key);
  for (const std::string& key : s.keys()) out[key] = s.string(key);
  s.finish();
}

struct Defaults {
  hardware::ComputeCurve compute;
  hardware::PowerCurve power;
};

const char* const kMemoryKernelKeys[] = {"stream", "norm", "norm_backward", "norm_eager", "norm_eager_backward",
                                         "activation", "quantize"};

void read_attention_curve(MapReader& parent, const std::string& key, hardware::AttentionCurve& out) {
  MapReader a = parent.map(key);
  out.max_efficiency = a.number("max_efficiency", out.max_efficiency, 0.0, 1.0);
  out.half_tiles = a.number("half_tiles", out.half_tiles, 0.0);
  out.half_seq = a.number("half_seq", out.half_seq, 0.0);
  a.finish();
}

// The compute section (docs/compute.md). `half_mn` and `half_k` apply to every precision;
// `shape: {fp8: {half_mn, half_k}}` sets one precision's own.
void read_compute(MapReader& c, hardware::ComputeCurve& out, bool with_efficiency) {
  if (with_efficiency) {
    Dimension* none = nullptr;
    std::array<double, hardware::kPrecisionCount> e{};
    for (int i = 0; i < hardware::kPrecisionCount; ++i) e[i] = out.gemm[i].max_efficiency;
    read_precision_map(c, "max_efficiency", none, 0.0, 1.0, e, false);
    for (int i = 0; i < hardware::kPrecisionCount; ++i) out.gemm[i].max_efficiency = e[i];
  }
  if (c.has("half_mn")) {
    const double v = c.number("half_mn", std::nullopt, 0.0);
    for (auto& g : out.gemm) g.half_mn = v;
  }
  if (c.has("half_k")) {
    const double v = c.number("half_k", std::nullopt, 0.0);
    for (auto& g : out.gemm) g.half_k = v;
  }
  MapReader shapes = c.map("shape");
  for (const std::string& name : shapes.keys()) {
    const auto p = hardware::parse_precision(name);
    if (!p) continue;  // left for finish(): "unknown key" with a suggestion
    MapReader one = shapes.map(name);
    auto& g = out.gemm[static_cast<int>(*p)];
    g.half_mn = one.number("half_mn", g.half_mn, 0.0);
    g.half_k = one.number("half_k", g.half_k, 0.0);
    one.finish();
  }
  for (const std::string& name : hardware::precision_names()) shapes.raw(name);
  shapes.finish();
  out.kernel_floor_s = c.quantity("kernel_floor", Dimension::Duration, out.kernel_floor_s);
  out.sms = static_cast<int>(c.integer("sms", out.sms, 0, 100000));
  MapReader att = c.map("attention");
  read_attention_curve(att, "forward", out.attention_forward);
  read_attention_curve(att, "backward", out.attention_backward);
  read_attention_curve(att, "flash2", out.attention_flash2);
  att.finish();
  MapReader mem = c.map("memory");
  for (int k = 0; k < hardware::kMemoryKernelCount; ++k)
    out.memory[k] = mem.number(kMemoryKernelKeys[k], out.memory[k], 0.01, 1.0);
  mem.finish();
}

void read_power_fractions(MapReader& p, hardware::PowerCurve& out) {
  out.compute_fraction = p.number("compute_fraction", out.compute_fraction, 0.0, 1.0);
  out.memory_fraction = p.number("memory_fraction", out.memory_fraction, 0.0, 1.0);
  out.communication_fraction = p.number("communication_fraction", out.communication_fraction, 0.0, 1.0);
  out.min_clock = p.number("min_clock", out.min_clock, 0.05, 1.0);
}

hardware::AcceleratorSpec read_accelerator(MapReader& a, const std::string& name, const Defaults& d) {
  hardware::AcceleratorSpec s;
  s.name = name;
  s.vendor = a.string("vendor", "");
  Dimension compute = Dimension::Compute;
  read_precision_map(a, "peak", &compute, 0, 0, s.peak_flops, true);
  s.hbm_bytes = a.quantity("hbm", Dimension::Bytes, std::nullopt, 0.0, true);
  s.hbm_bandwidth = a.quantity("hbm_bandwidth", Dimension::Bandwidth, std::nullopt, 0.0, true);
  s.scale_up_bandwidth = a.quantity("scale_up_bandwidth", Dimension::Bandwidth, std::nullopt, 0.0, true);
  s.power = d.power;
  MapReader p = a.map("power", true);
  s.power.idle_w = p.quantity("idle", Dimension::Power);
  s.power.max_w = p.quantity("max", Dimension::Power, std::nullopt, 0.0, true);
  read_power_fractions(p, s.power);
  if (p.present() && s.power.idle_w >= s.power.max_w && s.power.max_w > 0)
    p.error("idle", fmt::format("idle power must be below max power ({} W)", s.power.max_w));
  p.finish();
  s.compute = d.compute;
  MapReader c = a.map("compute", true);
  read_compute(c, s.compute, true);
  for (int i = 0; i < hardware::kPrecisionCount; ++i) {
    const auto prec = static_cast<Precision>(i);
    if (s.peak_flops[i] > 0 && s.compute.gemm[i].max_efficiency <= 0)
      c.error("max_efficiency", fmt::format("no max_efficiency for {}, which the chip has a peak for",
                                            hardware::to_string(prec)));
  }
  if (s.compute.attention_forward.max_efficiency <= 0 || s.compute.attention_backward.max_efficiency <= 0)
    c.error("attention", "no attention curve (forward and backward max_efficiency) for this chip or in defaults");
  c.finish();
  read_sources(a, s.sources);
  read_sources(a, s.assumed, "assumed");
  return s;
}

hardware::ServerSpec read_server(MapReader& r, const std::string& name, const hardware::Catalog& catalog) {
  hardware::ServerSpec s;
  s.name = name;
  s.accelerator = r.choice("accelerator", catalog.accelerator_names());
  s.accelerators = static_cast<int>(r.integer("accelerators", std::nullopt, 1, 1024));
  MapReader u = r.map("scale_up", true);
  const std::string topo = u.choice("topology", {"nvswitch", "torus2d", "switched"});
  s.scale_up.topology = topo == "torus2d"    ? hardware::ScaleUpTopology::Torus2D
                        : topo == "switched" ? hardware::ScaleUpTopology::Switched
                                             : hardware::ScaleUpTopology::NvSwitch;
  s.scale_up.bandwidth = u.quantity("bandwidth", Dimension::Bandwidth, std::nullopt, 0.0, true);
  s.scale_up.domain_servers = static_cast<int>(u.integer("domain", 1, 1, 1024));
  for (auto v : u.integers("torus", 1, std::vector<std::int64_t>{})) s.scale_up.torus.push_back(static_cast<int>(v));
  s.scale_up.ring_bandwidth = u.quantity("ring_bandwidth", Dimension::Bandwidth, 0.0);
  if (s.scale_up.topology == hardware::ScaleUpTopology::Torus2D) {
    if (s.scale_up.torus.size() != 2)
      u.error("torus", "a torus2d scale-up needs torus: [rows, columns]");
    else if (s.scale_up.torus[0] * s.scale_up.torus[1] != s.accelerators)
      u.error("torus", fmt::format("{} x {} does not match {} accelerators", s.scale_up.torus[0], s.scale_up.torus[1],
                                   s.accelerators));
  }
  u.finish();
  MapReader n = r.map("nics", true);
  s.nics = static_cast<int>(n.integer("count", std::nullopt, 0, 1024));
  s.nic_bandwidth = n.quantity("bandwidth", Dimension::Bandwidth, std::nullopt, 0.0, true);
  s.nic_efficiency = n.number("efficiency", 1.0, 0.05, 1.0);
  n.finish();
  s.host_power_w = r.quantity("host_power", Dimension::Power, 0.0);
  s.price_per_hour = r.quantity("price", Dimension::MoneyPerHour, 0.0);
  read_sources(r, s.sources);
  return s;
}

}  // namespace

ConfigNode builtin_catalog_tree(Diagnostics& diag) {
  ConfigNode root = parse_yaml_text(embedded::accelerators_yaml(), "catalog/accelerators.yaml", diag);
  root.merge_from(parse_yaml_text(embedded::servers_yaml(), "catalog/servers.yaml", diag));
  return root;
}

hardware::Catalog read_catalog(const ConfigNode* overrides, const std::string& path, Diagnostics& diag) {
  ConfigNode tree = builtin_catalog_tree(diag);
  if (overrides) tree.merge_from(*overrides);
  MapReader top(&tree, path, diag);

  Defaults d;
  MapReader def = top.map("defaults");
  MapReader dc = def.map("compute");
  read_compute(dc, d.compute, false);
  dc.finish();
  MapReader dp = def.map("power");
  read_power_fractions(dp, d.power);
  dp.finish();
  def.finish();

  hardware::Catalog catalog;
  MapReader accs = top.map("accelerators", true);
  for (const std::string& name : accs.keys()) {
    MapReader a = accs.map(name);
    catalog.accelerators[name] = read_accelerator(a, name, d);
    a.finish();
  }
  accs.finish();
  MapReader servers = top.map("servers", true);
  for (const std::string& name : servers.keys()) {
    MapReader s = servers.map(name);
    catalog.servers[name] = read_server(s, name, catalog);
    s.finish();
  }
  servers.finish();
  top.finish();
  return catalog;
}

}  // namespace dcsim::scenario
