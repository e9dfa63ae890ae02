// Sweep files, their points, the database and the threaded runner: every point is exactly
// the run of its overrides alone; errors are per point; a sweep resumes; threads and order
// change nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "engine/engine.hpp"
#include "models/scenario/diagnostics.hpp"
#include "study/result_store.hpp"
#include "study/sweep_points.hpp"
#include "study/sweep_report.hpp"
#include "study/sweep_runner.hpp"
#include "study/sweep_spec.hpp"

namespace dcsim::study {
namespace {
namespace fs = std::filesystem;

const fs::path kTiny = fs::path(DCSIM_SOURCE_DIR) / "tests/data/tiny_training.yaml";

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "dcsim_sweep_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

fs::path write_sweep(const fs::path& dir, const std::string& body) {
  const fs::path f = dir / "sweep.yaml";
  std::ofstream(f) << "scenario: " << kTiny.string() << "\n" << body;
  return f;
}

std::string load_error(const std::string& body) {
  const fs::path dir = scratch("errors");
  try {
    load_sweep(write_sweep(dir, body));
  } catch (const scenario::InputError& e) {
    return e.what();
  }
  return "";
}

TEST(SweepSpec, ErrorsNameTheLineTheKeyAndWhatIsAllowed) {
  EXPECT_NE(load_error("grid:\n  - key: a\n    values: [1]\n    range: {from: 1, to: 2, step: 1}\n")
                .find("sweep.yaml:3:10: error: grid[0].key: axis a needs exactly one of values, range, geometric, "
                      "random or expression; it has values, range"),
            std::string::npos);
  EXPECT_NE(load_error("grid:\n  - zip:\n      - {key: a, values: [1, 2]}\n      - {key: b, values: [1]}\n")
                .find("the axes of a zip take as many values each: a has 2, b has 1"),
            std::string::npos);
  EXPECT_NE(load_error("grid:\n  - {key: a, expression: b * 2}\n  - {key: b, values: [1]}\n")
                .find("b is not an axis above this one"),
            std::string::npos);
  EXPECT_NE(load_error("grid:\n  - {key: a, values: [1]}\nfilter: [c > 1]\n").find("c is not an axis of the sweep"),
            std::string::npos);
  EXPECT_NE(load_error("grid:\n  - {key: a, values: [1]}\n  - {key: a, values: [2]}\n").find("a is already an axis"),
            std::string::npos);
  EXPECT_NE(load_error("grid:\n  - {key: a, values: [1]}\nfliter: [a > 1]\n").find("fliter"), std::string::npos);
  EXPECT_NE(load_error("grid:\n  - {key: a, range: {from: 1, to: 1e9, step: 1}}\n").find("at most 1000000"),
            std::string::npos);
  std::string big = "grid:\n";
  for (int i = 0; i < 8; ++i) big += "  - {key: k" + std::to_string(i) + ", range: {from: 1, to: 10, step: 1}}\n";
  EXPECT_NE(load_error(big).find("the grid has 100000000 points; at most 10000000"), std::string::npos);
  EXPECT_NE(load_error("grid:\n  - {key: a, values: [1]}\nfilter: [\"a >\"]\n").find("an operand is missing"),
            std::string::npos);
  const fs::path dir = scratch("missing");
  std::ofstream(dir / "s.yaml") << "scenario: nowhere.yaml\ngrid:\n  - {key: a, values: [1]}\n";
  try {
    load_sweep(dir / "s.yaml");
    FAIL();
  } catch (const scenario::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("s.yaml:1:11: error: scenario: no scenario file at"), std::string::npos)
        << e.what();
  }
}

TEST(SweepPoints, ProductZipRangesDerivedAndFilters) {
  const fs::path dir = scratch("points");
  const SweepSpec spec = load_sweep(write_sweep(dir, R"(
set: [output.trace=false]
grid:
  - {key: a, values: [1, 2]}
  - zip:
      - {key: b, range: {from: 10, to: 30, step: 10}}
      - {key: c, values: [x, y, z]}
  - {key: d, expression: a * b}
filter: ["d != 40"]
)"));
  const auto points = expand_points(spec);
  // 2 x 3 = 6 points, the one with a = 2, b = 20 (d = 40) filtered out; ids are places in
  // the product, so a filter leaves the others' ids as they were.
  std::vector<std::string> keys;
  for (const auto& p : points) keys.push_back(p.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"a=1; b=10; c=x; d=10", "a=1; b=20; c=y; d=20", "a=1; b=30; c=z; d=30",
                                            "a=2; b=10; c=x; d=20", "a=2; b=30; c=z; d=60"}));
  std::vector<std::int64_t> ids;
  for (const auto& p : points) ids.push_back(p.id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{0, 1, 2, 3, 5}));
  EXPECT_EQ(points[0].overrides(spec), (std::vector<std::string>{"output.trace=false", "a=1", "b=10", "c=x", "d=10"}));
  EXPECT_EQ(spec.axis_keys(), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(SweepPoints, GeometricRandomAndSampleAreSeeded) {
  const fs::path dir = scratch("random");
  const std::string body = R"(
seed: 5
sample: 4
grid:
  - {key: g, geometric: {from: 1, to: 16, factor: 2, unit: GB}}
  - {key: r, random: {from: 100, to: 200, count: 3, integer: true}}
)";
  const SweepSpec spec = load_sweep(write_sweep(dir, body));
  EXPECT_EQ(spec.grid[0].axes[0].values, (std::vector<std::string>{"1 GB", "2 GB", "4 GB", "8 GB", "16 GB"}));
  for (const auto& v : spec.grid[1].axes[0].values) {
    const double x = std::stod(v);
    EXPECT_EQ(x, std::floor(x));
    EXPECT_GE(x, 100);
    EXPECT_LE(x, 200);
  }
  const auto a = expand_points(spec), b = expand_points(load_sweep(write_sweep(dir, body)));
  ASSERT_EQ(a.size(), 4u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].key(), b[i].key());
    if (i) {
      EXPECT_LT(a[i - 1].id, a[i].id);  // in sweep order, ids of the full grid
    }
    EXPECT_LT(a[i].id, 15);
  }
  const auto other = expand_points(load_sweep(write_sweep(dir, "seed: 6\n" + body.substr(body.find("sample")))));
  std::set<std::string> ka, ko;
  for (const auto& p : a) ka.insert(p.key());
  for (const auto& p : other) ko.insert(p.key());
  EXPECT_NE(ka, ko);  // another seed draws other points
}

TEST(SweepPoints, AFailedDerivedValueIsThatPointsError) {
  const fs::path dir = scratch("derived");
  const auto points = expand_points(load_sweep(write_sweep(dir, "grid:\n  - {key: a, values: [0, 2]}\n  - {key: b, expression: 4 / a}\n")));
  ASSERT_EQ(points.size(), 2u);
  EXPECT_NE(points[0].error.find("division by zero"), std::string::npos);
  EXPECT_EQ(points[1].key(), "a=2; b=2");
  EXPECT_EQ(points[1].error, "");
}

std::map<std::string, std::vector<std::string>> rows_by_point(const ResultStore::Table& t) {
  std::map<std::string, std::vector<std::string>> rows;
  for (const auto& r : t.rows) {
    std::vector<std::string> kept;
    for (std::size_t i = 0; i < r.size(); ++i)
      if (t.columns[i] != "wall_s") kept.push_back(r[i]);  // the only column that is not a result
    rows[r[1]] = kept;
  }
  return rows;
}

const char* kRunSweep = R"(
set: ["output.trace_ranks=[0]"]
grid:
  - {key: workload.parallelism.dp, values: [1, 2]}
  - {key: cluster.servers, expression: workload.parallelism.dp}
  - {key: workload.batch.global, values: [4, 8, 5]}
)";

TEST(SweepRunner, EveryPointIsItsRunAloneAndErrorsStayWithTheirPoint) {
  const fs::path dir = scratch("run");
  const SweepSpec spec = load_sweep(write_sweep(dir, kRunSweep));
  SweepOptions o;
  o.out_dir = dir / "out";
  o.jobs = 2;
  std::int64_t reports = 0;
  o.progress = [&](const SweepProgress& p) {
    ++reports;
    EXPECT_EQ(p.total, 6);
    EXPECT_EQ(p.done, reports);
  };
  const SweepSummary s = run_sweep(spec, o);
  EXPECT_EQ(s.points, 6);
  // dp = 2 with a global batch of 5 is not a whole number of microbatches: refused up front.
  EXPECT_EQ(s.invalid, 1);
  EXPECT_EQ(s.ran, 5);
  EXPECT_EQ(s.failed, 0);
  EXPECT_EQ(reports, 6);
  const ResultStore store(s.database, {});
  const auto t = store.table();
  ASSERT_EQ(t.rows.size(), 6u);
  const auto col = [&](const std::string& name) {
    return std::size_t(std::find(t.columns.begin(), t.columns.end(), name) - t.columns.begin());
  };
  ASSERT_LT(col("training.iteration_time_s"), t.columns.size());
  EXPECT_EQ(t.columns[5], "set.workload.parallelism.dp");  // axes after the fixed columns, in order
  for (const auto& row : t.rows) {
    const std::string& key = row[col("point")];
    if (key == "workload.parallelism.dp=2; workload.batch.global=5; cluster.servers=2") {
      EXPECT_EQ(row[col("status")], "error");
      EXPECT_NE(row[col("error")].find("not a multiple of microbatch 1 x dp 2"), std::string::npos);
      continue;
    }
    EXPECT_EQ(row[col("status")], "ok") << key;
    // The same overrides run alone through the library give the same numbers.
    std::vector<std::string> overrides = spec.set;
    for (std::size_t at = 0; at < key.size();) {
      const std::size_t end = std::min(key.find("; ", at), key.size());
      overrides.push_back(key.substr(at, end - at));
      at = end + 2;
    }
    const engine::RunResult alone = engine::run(engine::load(kTiny, overrides));
    EXPECT_EQ(std::stod(row[col("training.iteration_time_s")]), alone.number("training.iteration_time_s")) << key;
    EXPECT_EQ(std::stod(row[col("energy.facility_kwh")]), alone.number("energy.facility_kwh")) << key;
  }
}

TEST(SweepRunner, ResumesWhereItStoppedAndThreadsChangeNothing) {
  const fs::path dir = scratch("resume");
  const SweepSpec spec = load_sweep(write_sweep(dir, kRunSweep));
  SweepOptions one;
  one.out_dir = dir / "one";
  one.jobs = 1;
  const auto whole = run_sweep(spec, one);
  // A sweep killed after two points: its database holds them; the rerun does the rest.
  SweepOptions two;
  two.out_dir = dir / "two";
  two.jobs = 2;
  {
    const SweepSpec first_two = load_sweep(write_sweep(dir, std::string(kRunSweep) + "filter: [\"workload.batch.global == 4\"]\n"));
    const auto partial = run_sweep(first_two, two);
    EXPECT_EQ(partial.ran, 2);
  }
  const auto resumed = run_sweep(spec, two);
  EXPECT_EQ(resumed.skipped, 2);
  EXPECT_EQ(resumed.ran + resumed.invalid, 4);
  const auto again = run_sweep(spec, two);
  EXPECT_EQ(again.skipped, 6);
  EXPECT_EQ(again.ran, 0);
  const ResultStore a(whole.database, {}), b(resumed.database, {});
  EXPECT_EQ(rows_by_point(a.table()), rows_by_point(b.table()));
  EXPECT_EQ(a.table().columns, b.table().columns);
}

// Two halves of a sweep run apart (two machines, say) merge into the whole, row for row.
TEST(SweepRunner, HalvesMergeIntoTheWhole) {
  const fs::path dir = scratch("merge");
  const SweepSpec spec = load_sweep(write_sweep(dir, kRunSweep));
  SweepOptions whole, first, second;
  whole.out_dir = dir / "whole";
  first.out_dir = dir / "first";
  second.out_dir = dir / "second";
  const auto all = run_sweep(spec, whole);
  run_sweep(load_sweep(write_sweep(dir, std::string(kRunSweep) + "filter: [\"workload.parallelism.dp == 1\"]\n")), first);
  run_sweep(load_sweep(write_sweep(dir, std::string(kRunSweep) + "filter: [\"workload.parallelism.dp == 2\"]\n")), second);
  ResultStore merged(dir / "merged.db", study_identity(spec));
  EXPECT_EQ(merged.merge_from(dir / "first" / kSweepDatabase), 3);
  EXPECT_EQ(merged.merge_from(dir / "second" / kSweepDatabase), 3);
  EXPECT_EQ(merged.merge_from(dir / "second" / kSweepDatabase), 0);  // nothing twice
  const ResultStore reference(all.database, {});
  EXPECT_EQ(rows_by_point(merged.table()), rows_by_point(reference.table()));
  EXPECT_EQ(merged.table().columns, reference.table().columns);
  // Another sweep's database is refused.
  SweepOptions other;
  other.out_dir = dir / "other";
  run_sweep(load_sweep(write_sweep(dir, "grid:\n  - {key: workload.batch.global, values: [4]}\n")), other);
  EXPECT_THROW(merged.merge_from(dir / "other" / kSweepDatabase), scenario::InputError);
  EXPECT_THROW(merged.merge_from(dir / "nowhere.db"), scenario::InputError);
}

TEST(SweepRunner, ADatabaseOfAnotherSweepIsRefused) {
  const fs::path dir = scratch("other");
  SweepOptions o;
  o.out_dir = dir / "out";
  run_sweep(load_sweep(write_sweep(dir, "grid:\n  - {key: workload.batch.global, values: [4]}\n")), o);
  EXPECT_THROW(run_sweep(load_sweep(write_sweep(dir, "set: [seed=3]\ngrid:\n  - {key: workload.batch.global, values: [4]}\n")), o),
               scenario::InputError);
  EXPECT_THROW(run_sweep(load_sweep(write_sweep(dir, "grid:\n  - {key: workload.batch.global, values: [4]}\n  - {key: seed, values: [1]}\n")), o),
               scenario::InputError);
}

TEST(ResultStore, CsvQuotesWhatNeedsIt) {
  const fs::path dir = scratch("csv");
  {
    ResultStore store(dir / "s.db", {{"axes", "a"}});
    PointRow r;
    r.id = 1;
    r.key = "a=x, \"y\"";
    r.axes = {{"a", "x, \"y\""}};
    r.ok = true;
    r.scalars = {{"z.value", 0.5}, {"b.count", 3}};
    r.results_json = "{}";
    store.insert(r);
    PointRow e;
    e.id = 0;
    e.key = "a=1";
    e.axes = {{"a", "1"}};
    e.error = "line one\nline two";
    store.insert(e);
    store.write_csv(dir / "s.csv");
  }
  std::ifstream in(dir / "s.csv");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(),
            "id,point,status,error,wall_s,set.a,b.count,z.value\n"
            "0,a=1,error,\"line one\nline two\",0,1,,\n"
            "1,\"a=x, \"\"y\"\"\",ok,,0,\"x, \"\"y\"\"\",3,0.5\n");
}

TEST(Pareto, TheFrontOfAHandWorkedSet) {
  // (throughput, cost): maximize the first, minimize the second.
  const std::vector<std::pair<double, double>> pts = {{10, 5}, {8, 3}, {10, 6}, {6, 3}, {12, 9}, {7, 1}, {12, 9}};
  // {10,5}: nothing has >= 10 and < 5. {8,3}: beats {6,3}. {10,6} is beaten by {10,5}.
  // {12,9} twice: the first stays (equal points do not beat each other; one is kept).
  EXPECT_EQ(pareto_front(pts, true, false), (std::vector<std::size_t>{0, 1, 4, 5}));
  EXPECT_EQ(pareto_front(pts, false, false), (std::vector<std::size_t>{3, 5}));  // the fewest and the cheapest
}

TEST(Pareto, ThreeObjectivesKeepWhatTwoWouldDrop) {
  // (throughput up, cost down, power down).
  const std::vector<std::vector<double>> pts = {{10, 5, 100}, {10, 6, 80}, {9, 6, 120}, {12, 9, 90}, {10, 5, 100}};
  // {10,6,80} loses to {10,5,100} on throughput and cost alone but draws the least power;
  // {9,6,120} is beaten on all three by {10,5,100}; the second {10,5,100} equals the first.
  EXPECT_EQ(pareto_front(pts, {true, false, false}), (std::vector<std::size_t>{0, 1, 3}));
  // Two objectives: the same answer as the two-objective front.
  std::vector<std::vector<double>> two;
  std::vector<std::pair<double, double>> pairs;
  for (const auto& p : pts) {
    two.push_back({p[0], p[1]});
    pairs.emplace_back(p[0], p[1]);
  }
  EXPECT_EQ(pareto_front(two, {true, false}), pareto_front(pairs, true, false));
  EXPECT_EQ(pareto_front(two, {true, false}), (std::vector<std::size_t>{0, 3}));
}

}  // namespace
}  // namespace dcsim::study
