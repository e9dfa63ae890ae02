// dcsim: the command line. Parsing only; each command lives in its own file.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <map>

#include "dcsim_version.hpp"
#include "tools/calibrate_command.hpp"
#include "tools/compare_command.hpp"
#include "tools/run_command.hpp"
#include "tools/plan_command.hpp"
#include "tools/sweep_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"dcsim: a discrete-event simulator of AI datacenters"};
  app.footer(R"(Examples:
  dcsim scenarios/train_gpt.yaml                      run a scenario, results in out/train_gpt/
  dcsim scenarios/train_gpt.yaml --set workload.recompute=full --out /tmp/full
  dcsim validate scenarios/train_gpt.yaml             check a scenario without running it
  dcsim catalog                                       the accelerators and servers dcsim knows
  dcsim calibrate my_gemms.csv --chip H100-SXM        refit the compute model to your measurements
  dcsim compare out/a/results.json out/b/results.json two runs side by side
  dcsim sweep sweeps/train_gpt_scaling.yaml --csv     every point of a sweep on all cores
  dcsim plan scenarios/train_gpt.yaml --top 20        the best parallel plans for a model and cluster

Exit codes: 0 success, 2 bad input, 3 the machine refused (output folder or disk), 1 internal error.)");
  app.set_version_flag("--version", std::string("dcsim ") + DCSIM_VERSION);
  app.require_subcommand(0, 1);

  dcsim::app::RunOptions run;
  std::string out_dir;
  std::uint64_t seed = 0;
  app.add_option("scenario", run.scenario, "scenario YAML file")->check(CLI::ExistingFile);
  app.add_option("--set", run.overrides, "override a key: --set key.path=value (repeatable)")->allow_extra_args(false);
  auto* seed_opt = app.add_option("--seed", seed, "random seed (overrides the scenario's seed)")
                       ->check(CLI::Validator(
                           [](std::string& text) {
                             return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos
                                        ? std::string()
                                        : "\"" + text + "\" is not a seed: a whole number from 0 to 18446744073709551615";
                           },
                           "UINT64"));
  auto* out_opt = app.add_option("--out", out_dir, "output folder (default: out/<scenario name>)");
  app.add_flag("--quiet,-q", run.quiet, "print nothing but errors");

  auto* validate = app.add_subcommand("validate", "check a scenario and report every error, without running it");
  std::string validate_path;
  std::vector<std::string> validate_overrides;
  validate->add_option("scenario", validate_path, "scenario YAML file")->required()->check(CLI::ExistingFile);
  validate->add_option("--set", validate_overrides, "override a key: --set key.path=value")->allow_extra_args(false);

  auto* catalog = app.add_subcommand("catalog", "print the accelerator and server catalog");
  std::string catalog_scenario;
  catalog->add_option("--scenario", catalog_scenario, "include this scenario's catalog additions")->check(CLI::ExistingFile);

  auto* calibrate = app.add_subcommand("calibrate", "fit the compute-time model to measured kernel times (CSV)");
  dcsim::app::CalibrateOptions cal;
  calibrate->add_option("csv", cal.csv,
                        "GEMMs (batch,m,n,k,precision,flops_per_s[,source]), one precision, one or more files; or "
                        "flash attention (batch,seq,q_heads,kv_heads,head_dim,forward_s,forward_backward_s)")
      ->required()
      ->check(CLI::ExistingFile);
  calibrate->add_option("--chip", cal.chip, "catalog accelerator the samples were measured on")->capture_default_str();
  calibrate->add_option("--scenario", cal.scenario, "use this scenario's catalog")->check(CLI::ExistingFile);
  calibrate->add_option("--relative", cal.relative_sources,
                        "GEMM samples of this source were measured at another clock: fit their level apart");
  calibrate->add_option("--half-mn", cal.half_mn, "hold the GEMM curve's h_mn at this value")->check(CLI::PositiveNumber);

  auto* sweep = app.add_subcommand("sweep", "run every point of a sweep file on all cores, into a database");
  dcsim::app::SweepCommandOptions sw;
  std::string sweep_out;
  sweep->add_option("sweep", sw.file, "sweep YAML file")->required()->check(CLI::ExistingFile);
  auto* sweep_out_opt = sweep->add_option("--out", sweep_out, "output folder (default: out/<sweep name>)");
  sweep->add_option("--jobs,-j", sw.jobs, "threads (default: one per core)")->check(CLI::Range(1, 4096));
  sweep->add_flag("--csv", sw.csv, "also write sweep.csv (every column but the full results)");
  sweep->add_flag("--dry-run", sw.dry_run, "check every point and say which would be refused; run none");
  sweep->add_option("--merge", sw.merge, "merge other runs' sweep.db of this sweep into --out's, run nothing")
      ->check(CLI::ExistingFile);
  sweep->add_flag("--quiet,-q", sw.quiet, "print nothing but errors");
  sweep->add_option("--rank-timeout", sw.rank_timeout_s,
                    "MPI: seconds a rank may stay silent while running a point before its point goes to another")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();

  auto* plan = app.add_subcommand("plan", "search the parallel plans of a training scenario: screen all, simulate the best");
  dcsim::app::PlanCommandOptions pl;
  std::string plan_out;
  std::map<std::string, std::string> dims;
  plan->add_option("scenario", pl.scenario, "training scenario YAML file")->required()->check(CLI::ExistingFile);
  plan->add_option("--set", pl.overrides, "override a key of the base scenario")->allow_extra_args(false);
  auto* plan_out_opt = plan->add_option("--out", plan_out, "output folder (default: out/<scenario>_plans)");
  plan->add_option("--top", pl.top, "plans the simulation ranks")->check(CLI::Range(1, 100000))->capture_default_str();
  plan->add_option("--jobs,-j", pl.jobs, "threads (default: one per core)")->check(CLI::Range(1, 4096));
  for (const char* d : {"tp", "pp", "cp", "ep", "vs", "microbatch", "zero"})
    plan->add_option(std::string("--") + d, dims[d], std::string("values of ") + d + ", e.g. 1,2,4 (default: all that fit the model)");
  plan->add_option("--recompute", dims["recompute"], "none,selective,full (default: all three)");
  plan->add_flag("--quiet,-q", pl.quiet, "print nothing but errors");

  auto* compare = app.add_subcommand("compare", "two runs' results.json side by side, with their differences");
  std::string compare_a, compare_b;
  compare->add_option("a", compare_a, "first results.json")->required();
  compare->add_option("b", compare_b, "second results.json")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    if (*validate) return dcsim::app::validate_scenario(validate_path, validate_overrides);
    if (*catalog) return dcsim::app::print_catalog(catalog_scenario);
    if (*compare) return dcsim::app::compare_results(compare_a, compare_b);
    if (*calibrate) return dcsim::app::calibrate(cal);
    if (*plan) {
      if (*plan_out_opt) pl.out_dir = plan_out;
      std::vector<std::int64_t>* lists[] = {&pl.space.tp, &pl.space.pp, &pl.space.cp, &pl.space.ep,
                                            &pl.space.virtual_stages, &pl.space.microbatch};
      const char* names[] = {"tp", "pp", "cp", "ep", "vs", "microbatch"};
      for (int i = 0; i < 6; ++i)
        if (!dims[names[i]].empty() && !dcsim::app::parse_int_list(dims[names[i]], *lists[i])) {
          std::cerr << "error: --" << names[i] << " " << dims[names[i]] << ": expected whole numbers >= 1 separated by commas\n";
          return 2;
        }
      std::vector<std::int64_t> zeros;
      if (!dims["zero"].empty()) {
        if (!dcsim::app::parse_int_list(dims["zero"], zeros) || std::any_of(zeros.begin(), zeros.end(), [](auto z) { return z > 3; })) {
          std::cerr << "error: --zero " << dims["zero"] << ": expected stages 1 to 3 separated by commas\n";
          return 2;
        }
        for (auto z : zeros) pl.space.zero.push_back(int(z));
      }
      for (std::size_t at = 0; !dims["recompute"].empty() && at <= dims["recompute"].size();) {
        const std::string& t = dims["recompute"];
        const std::size_t end = std::min(t.find(',', at), t.size());
        const std::string r = t.substr(at, end - at);
        if (r == "none") pl.space.recompute.push_back(dcsim::workload::Recompute::None);
        else if (r == "selective") pl.space.recompute.push_back(dcsim::workload::Recompute::Selective);
        else if (r == "full") pl.space.recompute.push_back(dcsim::workload::Recompute::Full);
        else {
          std::cerr << "error: --recompute " << t << ": \"" << r << "\" is not none, selective or full\n";
          return 2;
        }
        at = end + 1;
      }
      return dcsim::app::run_plan_command(pl);
    }
    if (*sweep) {
      if (*sweep_out_opt) sw.out_dir = sweep_out;
      return dcsim::app::run_sweep_command(sw);
    }
    if (run.scenario.empty()) {
      std::cerr << app.help();
      return 2;
    }
    if (*seed_opt) run.seed = seed;
    if (*out_opt) run.out_dir = out_dir;
    return dcsim::app::run_scenario(run);
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return 1;
  }
}
