#include "tools/plan_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <iostream>
#include <map>

#include "models/scenario/diagnostics.hpp"
#include "models/scenario/units.hpp"
#include "sim/atomic_file.hpp"
#include "study/result_store.hpp"
#include "study/sweep_report.hpp"
#include "tools/run_command.hpp"

namespace dcsim::app {
namespace fs = std::filesystem;
using scenario::Dimension;
using scenario::format_quantity;

bool parse_int_list(const std::string& text, std::vector<std::int64_t>& out) {
  out.clear();
  for (std::size_t at = 0; at <= text.size();) {
    const std::size_t end = std::min(text.find(',', at), text.size());
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(text.data() + at, text.data() + end, v);
    if (ec != std::errc() || p != text.data() + end || v < 1) return false;
    out.push_back(v);
    at = end + 1;
  }
  return !out.empty();
}

namespace {

void write_candidates_csv(const fs::path& file, const std::vector<study::PlanCandidate>& candidates) {
  AtomicFile out(file);
  out.write("rank,plan,tp,pp,dp,cp,ep,virtual_stages,microbatch,recompute,zero,status,estimate_s,compute_s,bubble_s,"
            "pp_s,dp_s,optimizer_s,peak_memory_bytes\n");
  std::int64_t rank = 0;
  for (const auto& c : candidates) {
    const auto& p = c.plan;
    const auto& e = c.estimate;
    const std::string status = c.rejected.empty() ? "fits" : c.rejected;
    out.write(fmt::format("{},{},{},{},{},{},{},{},{},{},{},\"{}\",{},{},{},{},{},{},{:.0f}\n",
                          c.rejected.empty() ? std::to_string(++rank) : "", c.label(), p.tp, p.pp, p.dp, p.cp, p.ep,
                          p.virtual_stages, p.microbatch, workload::to_string(p.recompute), p.zero, status,
                          c.rejected.empty() ? e.total() : 0.0, e.compute_s, e.bubble_s, e.pp_s, e.dp_s, e.optimizer_s,
                          c.peak_memory));
  }
  out.commit();
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

// Why a ranked plan lost to the best: the parts of its iteration that grew most.
std::string why_slower(const std::map<std::string, double>& row, const std::map<std::string, double>& best) {
  static const std::vector<std::pair<std::string, std::string>> parts = {
      {"compute", "compute"},        {"tp_exposed", "TP exposed"},     {"ep_exposed", "EP exposed"},
      {"cp_exposed", "CP exposed"},  {"fsdp_exposed", "FSDP exposed"}, {"pp_exposed", "PP exposed"},
      {"pipeline_bubble", "bubble"}, {"dp_exposed", "DP exposed"},     {"optimizer", "optimizer"}};
  std::vector<std::pair<double, std::string>> grew;
  for (const auto& [key, name] : parts) {
    const std::string col = "training.breakdown." + key + ".seconds";
    const auto a = row.find(col), b = best.find(col);
    if (a == row.end() || b == best.end()) continue;
    if (a->second - b->second > 0) grew.emplace_back(a->second - b->second, name);
  }
  std::sort(grew.rbegin(), grew.rend());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < std::min<std::size_t>(2, grew.size()); ++i)
    out.push_back(fmt::format("{} +{}", grew[i].second, format_quantity(grew[i].first, Dimension::Duration)));
  return join(out, ", ");
}

}  // namespace

int run_plan_command(const PlanCommandOptions& options) {
  const fs::path out = options.out_dir.value_or(fs::path("out") / (options.scenario.stem().string() + "_plans"));
  if (options.out_dir && options.out_dir->empty()) {
    std::cerr << "error: --out: an empty folder name\n";
    return 2;
  }
  remove_temporary_files_on_signals();
  return with_exit_codes([&] {
    study::PlanSearchOptions po;
    po.space = options.space;
    po.top = options.top;
    po.jobs = options.jobs;
    po.out_dir = out;
    const study::PlanSearchResult r = study::search_plans(options.scenario, options.overrides, po);
    write_candidates_csv(out / "candidates.csv", r.candidates);
    const std::int64_t screened = std::int64_t(r.candidates.size());
    if (!options.quiet)
      fmt::print("{}: {} plans; {} fit in memory, {} do not or are invalid; screened in {:.2f} s ({:.0f} plans/s)\n",
                 options.scenario.stem().string(), screened, r.fitting, screened - r.fitting, r.screen_seconds,
                 r.screen_seconds > 0 ? double(screened) / r.screen_seconds : 0.0);
    if (r.fitting == 0) {
      std::cerr << "error: no plan of the space fits in memory; candidates.csv says what each needs\n";
      return 2;
    }
    const study::ResultStore store(r.ranking.database, {});
    const auto table = store.table();
    study::write_sweep_report(out / "report.html", "plans: " + options.scenario.stem().string(), table,
                              study::load_sweep(r.sweep_file).axis_keys());
    // The ranked rows by iteration time; errors last.
    const auto col = [&](const std::string& name) {
      return std::size_t(std::find(table.columns.begin(), table.columns.end(), name) - table.columns.begin());
    };
    std::map<std::string, const study::PlanCandidate*> by_key;
    for (const auto& c : r.candidates)
      if (c.rejected.empty()) by_key[join(c.overrides(), "; ")] = &c;
    struct Ranked {
      double seconds;
      const study::PlanCandidate* plan;
      std::map<std::string, double> values;
      std::string error;
    };
    std::vector<Ranked> ranked;
    for (const auto& row : table.rows) {
      const auto it = by_key.find(row[col("point")]);
      if (it == by_key.end()) continue;  // a row of an earlier search with another space
      Ranked k{0, it->second, {}, row[col("error")]};
      for (std::size_t i = 0; i < row.size(); ++i) {
        double v = 0;
        if (study::parse_number(row[i], v)) k.values[table.columns[i]] = v;
      }
      k.seconds = row[col("status")] == "ok" ? k.values["training.iteration_time_s"] : 1e300;
      ranked.push_back(std::move(k));
    }
    std::sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) { return a.seconds < b.seconds; });
    if (!options.quiet) {
      fmt::print("ranked by simulation: the best {} by estimate ({:.1f} s)\n", ranked.size(), r.ranking.wall_seconds);
      fmt::print("  {:>4}  {:<56} {:>11} {:>11} {:>6} {:>9}  {}\n", "rank", "plan", "iteration", "estimate", "MFU",
                 "memory", "against the best");
      for (std::size_t i = 0; i < ranked.size() && i < 10; ++i) {
        const Ranked& k = ranked[i];
        if (!k.error.empty()) {
          fmt::print("  {:>4}  {:<56} error: {}\n", i + 1, k.plan->label(), k.error.substr(0, 120));
          continue;
        }
        const std::string against =
            i == 0 ? std::string("best")
                   : fmt::format("+{:.1f} %: {}", 100 * (k.seconds / ranked[0].seconds - 1), why_slower(k.values, ranked[0].values));
        fmt::print("  {:>4}  {:<56} {:>11} {:>11} {:>5.1f}% {:>9}  {}\n", i + 1, k.plan->label(),
                   format_quantity(k.seconds, Dimension::Duration),
                   format_quantity(k.plan->estimate.total(), Dimension::Duration), 100 * (k.values.count("training.mfu") ? k.values.at("training.mfu") : 0.0),
                   format_quantity(k.plan->peak_memory, Dimension::Bytes), against);
      }
      std::map<std::string, std::int64_t> reasons;
      for (const auto& c : r.candidates)
        if (!c.rejected.empty()) ++reasons[c.rejected.substr(0, c.rejected.find(':'))];
      fmt::print("the others:\n");
      for (const auto& [why, n] : reasons)
        fmt::print("  {} plans rejected: {}\n", n, why == "memory" ? "do not fit in memory" : why);
      if (r.fitting > std::int64_t(ranked.size()))
        fmt::print("  {} plans fit but were estimated slower than the last one ranked ({} or more)\n",
                   r.fitting - std::int64_t(ranked.size()),
                   format_quantity(r.candidates[ranked.size() - 1].estimate.total(), Dimension::Duration));
      fmt::print("  results in {}/ (sweep.db, report.html, candidates.csv, plans.sweep.yaml)\n", out.string());
    }
    return r.ranking.internal ? 1 : 0;
  });
}

}  // namespace dcsim::app
