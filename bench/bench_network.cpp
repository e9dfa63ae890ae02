// Network model throughput:
//  - BM_RandomFlows/N/window_us: N random flows (sizes 1-100 MB) between the 1,024 hosts of a
//    2-tier tree, 4:1 oversubscribed (32 leaves of 32 hosts, each leaf's 400 Gbps ports
//    feeding one 3.2 Tbps link to a single core), run to completion: all starting at once,
//    or arriving uniformly over the window. Every flow crosses the core, so every change
//    couples them all: the flow model's hardest case. Reports simulated events per second.
//    Sizes 10 K (twice), 100 K and 1 M flows (issue goals 0.3 s, 5 s, 60 s within 4 GiB; the
//    1 M case took 37 s and 1.06 GiB on the 2-core machine).
//  - BM_FlowUpdates: flow starts plus ends per second with 10^4 active flows on a 1,024-host
//    fat-tree (each finishing flow starts a new random one, so 10^4 stay active).
//  - BM_AllReduce4096: scenarios/allreduce_4096.yaml end to end (load, build the 4,096-GPU
//    fabric, run the 1 MB ring all-reduce in the flow model); reports peak RSS.
#include <benchmark/benchmark.h>

#include "reference.hpp"
#include <sys/resource.h>

#include <random>
#include <string>

#include "models/network/network_sim.hpp"
#include "models/scenario/catalog_parser.hpp"
#include "tools/run_command.hpp"

namespace {
using namespace dcsim;

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

struct Churn {
  Simulator& sim;
  network::NetworkSim& net;
  std::mt19937_64 rng{7};
  std::uint64_t completions = 0;
  void start_one() {
    const std::int64_t src = std::int64_t(rng() % 1024);
    std::int64_t dst = std::int64_t(rng() % 1023);
    if (dst >= src) ++dst;
    net.start({{src, dst}}, 1e6 * double(1 + rng() % 100), 1, [this] {
      ++completions;
      start_one();
    });
  }
};

void BM_FlowUpdates(benchmark::State& state) {
  scenario::Diagnostics diag;
  const auto catalog = scenario::read_catalog(nullptr, "catalog", diag);
  const auto* server = catalog.server("p5.48xlarge");
  const hardware::Cluster cluster({server, catalog.accelerator(server->accelerator), 128, 4, 0});
  network::FabricSpec spec;
  spec.kind = network::FabricKind::FatTree;  // 1,024 hosts, radix 64, 2 tiers
  network::Fabric fabric(cluster, spec);
  Simulator sim;
  network::NetworkSim net(sim, fabric, network::SharingModel::Flow);
  Churn churn{sim, net};
  for (int i = 0; i < static_cast<int>(state.range(0)); ++i) churn.start_one();
  sim.run_until(Time::ms(1));  // settle
  std::uint64_t updates = 0;
  for (auto _ : state) {
    const std::uint64_t before = churn.completions;
    sim.run_until(sim.now() + Time::us(200));
    updates += 2 * (churn.completions - before);  // each completion is an end and a start
  }
  state.counters["active_flows"] = double(net.active_transfers());
  state.counters["resolved_per_update"] = double(net.transfers_resolved()) / double(net.rate_recomputations());
  state.counters["updates_per_s"] = benchmark::Counter(double(updates), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FlowUpdates)->Arg(10000)->Unit(benchmark::kMillisecond)->MinTime(2.0);

network::FabricSpec single_core_tree(double host_bw) {
  network::FabricSpec s;
  s.kind = network::FabricKind::Explicit;
  s.nodes.push_back({"core", network::NodeKind::Switch});
  for (int l = 0; l < 32; ++l) {
    const std::string leaf = "leaf" + std::to_string(l);
    s.nodes.push_back({leaf, network::NodeKind::Switch});
    s.links.push_back({leaf, "core", 8 * host_bw, 1e-6, true});  // 32 host ports : 8 ports' worth up
    for (int h = 0; h < 32; ++h) {
      const std::string host = "host" + std::to_string(l * 32 + h);
      s.nodes.push_back({host, network::NodeKind::Device});
      s.links.push_back({host, leaf, host_bw, 1e-6, true});
    }
  }
  return s;
}

void BM_RandomFlows(benchmark::State& state) {
  const auto flows = static_cast<int>(state.range(0));
  const auto window_ns = state.range(1) * 1000;
  double events = 0;
  for (auto _ : state) {
    network::Fabric fabric(single_core_tree(50e9));  // 400 Gbps hosts
    Simulator sim;
    network::NetworkSim net(sim, fabric, network::SharingModel::Flow);
    std::mt19937_64 rng(42);
    int done = 0;
    for (int i = 0; i < flows; ++i) {
      const std::int64_t a = std::int64_t(rng() % 1024);
      std::int64_t b = std::int64_t(rng() % 1023);
      if (b >= a) ++b;
      const double bytes = 1e6 * double(1 + rng() % 100);
      const std::uint64_t draw = rng();
      const Time at = Time::ns(window_ns > 0 ? std::int64_t(draw % std::uint64_t(window_ns)) : 0);
      sim.schedule_at(at, [&net, &done, a, b, bytes] { net.start({{a, b}}, bytes, 1, [&done] { ++done; }); });
    }
    sim.run();
    if (done != flows) state.SkipWithError("not every flow finished");
    events += double(sim.events_executed());
    state.counters["simulated_ms"] = sim.now().seconds() * 1e3;
    state.counters["groups_per_change"] = double(net.groups_resolved()) / double(net.rate_recomputations());
  }
  state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}
BENCHMARK(BM_RandomFlows)
    ->Args({10000, 0})
    ->Args({10000, 10000})
    ->Args({100000, 0})
    ->Args({1000000, 0})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

void BM_AllReduce4096(benchmark::State& state) {
  for (auto _ : state) {
    app::RunOptions o;
    o.scenario = DCSIM_SOURCE_DIR "/scenarios/allreduce_4096.yaml";
    o.out_dir = "/tmp/dcsim_bench_allreduce";
    o.quiet = true;
    if (app::run_scenario(o) != 0) state.SkipWithError("scenario failed");
  }
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}
BENCHMARK(BM_AllReduce4096)->Unit(benchmark::kMillisecond)->Iterations(3);
}  // namespace

BENCHMARK_MAIN();
