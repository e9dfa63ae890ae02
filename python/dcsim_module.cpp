// The `dcsim` Python module (docs/python.md): the library API (engine/engine.hpp) and sweeps
// (study/) for Python. Results come back as Python objects (dicts, lists, floats); runs
// release the GIL, so Python threads run scenarios at once.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "models/scenario/diagnostics.hpp"
#include "sim/atomic_file.hpp"
#include "study/result_store.hpp"
#include "study/sweep_report.hpp"
#include "study/sweep_runner.hpp"
#include "study/sweep_spec.hpp"

namespace py = pybind11;
using namespace dcsim;

namespace {

// {"workload.parallelism.dp": 32, "network.model": "flow"} -> ["workload.parallelism.dp=32", ...].
// Values are written as YAML reads them: booleans true/false, lists and numbers as Python
// prints them, strings as they are.
std::vector<std::string> overrides_of(const py::dict& set) {
  std::vector<std::string> out;
  for (const auto& [key, value] : set) {
    std::string text;
    if (py::isinstance<py::bool_>(value))
      text = value.cast<bool>() ? "true" : "false";
    else if (py::isinstance<py::str>(value))
      text = value.cast<std::string>();
    else
      text = py::str(value).cast<std::string>();
    out.push_back(py::str(key).cast<std::string>() + "=" + text);
  }
  return out;
}

py::object from_json(const std::string& text) { return py::module_::import("json").attr("loads")(text); }

struct PyRunResult {
  engine::RunResult r;
  py::object results() const { return from_json(r.results.dump()); }
  py::object timeline() const { return from_json(r.timeline.dump()); }
  py::dict timeseries() const {
    py::dict out;
    for (std::size_t c = 0; c < r.timeseries.columns.size(); ++c) {
      py::list column;
      for (const auto& row : r.timeseries.rows) column.append(row[c]);
      out[py::str(r.timeseries.columns[c])] = column;
    }
    return out;
  }
  py::dict scalars() const {
    py::dict out;
    for (const auto& [path, value] : r.scalars()) out[py::str(path)] = value;
    return out;
  }
};

scenario::Scenario load(const std::filesystem::path& file, const py::dict& set, std::optional<std::uint64_t> seed) {
  return engine::load(file, overrides_of(set), seed);
}

}  // namespace

PYBIND11_MODULE(dcsim, m) {
  m.doc() = "dcsim: a discrete-event simulator of AI datacenters (docs/python.md)";
  // Bad input (a scenario error, listing every problem) and a machine that refused.
  py::register_exception<scenario::InputError>(m, "InputError", PyExc_ValueError);
  py::register_exception<EnvironmentError>(m, "EnvironmentError", PyExc_OSError);

  py::class_<PyRunResult>(m, "RunResult", "One run's results: the results.json document and more")
      .def_property_readonly("results", &PyRunResult::results, "results.json as dicts and lists")
      .def_property_readonly("summary", [](const PyRunResult& p) { return p.r.summary; }, "what `dcsim` prints")
      .def_property_readonly("timeline", &PyRunResult::timeline, "timeline.csv's spans")
      .def_property_readonly("timeseries", &PyRunResult::timeseries, "timeseries.csv's columns")
      .def_property_readonly("events", [](const PyRunResult& p) { return p.r.events; })
      .def_property_readonly("simulated_seconds", [](const PyRunResult& p) { return p.r.simulated_seconds; })
      .def_property_readonly("wall_seconds", [](const PyRunResult& p) { return p.r.wall_seconds; })
      .def("number", [](const PyRunResult& p, const std::string& path) { return p.r.number(path); }, py::arg("path"),
           "a number of the results by dotted path, e.g. 'training.iteration_time_s'")
      .def("scalars", &PyRunResult::scalars, "every number and boolean of the results by dotted path")
      .def("__getitem__", [](const PyRunResult& p, const std::string& key) {
        const py::object results = p.results();
        return py::object(results[py::str(key)]);  // a value, not an accessor into a temporary
      });

  m.def(
      "run",
      [](const std::filesystem::path& scenario, const py::dict& set, std::optional<std::uint64_t> seed,
         std::optional<std::filesystem::path> out) {
        const scenario::Scenario s = load(scenario, set, seed);
        engine::RunControl control;
        control.out_dir = out;
        PyRunResult result;
        {
          py::gil_scoped_release release;
          result.r = engine::run(s, control);
        }
        return result;
      },
      py::arg("scenario"), py::arg("set") = py::dict(), py::arg("seed") = py::none(), py::arg("out") = py::none(),
      "Runs a scenario with `--set`-style overrides; writes the output files only when `out` is given.");

  m.def(
      "check",
      [](const std::filesystem::path& scenario, const py::dict& set) {
        const scenario::Scenario s = load(scenario, set, std::nullopt);
        py::gil_scoped_release release;
        engine::check(s);
      },
      py::arg("scenario"), py::arg("set") = py::dict(),
      "Every check a run makes short of simulating (as `dcsim validate`); raises dcsim.InputError.");

  m.def(
      "sweep",
      [](const std::filesystem::path& file, std::optional<std::filesystem::path> out, int jobs) {
        const study::SweepSpec spec = study::load_sweep(file);
        study::SweepOptions o;
        o.out_dir = out.value_or(std::filesystem::path("out") / spec.name);
        o.jobs = jobs;
        study::SweepSummary s;
        {
          py::gil_scoped_release release;
          s = study::run_sweep(spec, o);
          const study::ResultStore store(s.database, {});
          study::write_sweep_report(o.out_dir / "report.html", spec.name, store.table(), spec.axis_keys());
        }
        py::dict d;
        d["points"] = s.points;
        d["ran"] = s.ran;
        d["skipped"] = s.skipped;
        d["invalid"] = s.invalid;
        d["failed"] = s.failed;
        d["wall_seconds"] = s.wall_seconds;
        d["database"] = s.database.string();
        return d;
      },
      py::arg("file"), py::arg("out") = py::none(), py::arg("jobs") = 0,
      "Runs every point of a sweep file (docs/sweeps.md) into out/<name>/sweep.db; returns the counts.");

  m.def(
      "sweep_table",
      [](const std::filesystem::path& database) {
        const study::ResultStore store(database, {});
        const auto t = store.table();
        py::list rows;
        for (const auto& row : t.rows) {
          py::dict d;
          for (std::size_t i = 0; i < row.size(); ++i) {
            double v = 0;
            if (study::parse_number(row[i], v))
              d[py::str(t.columns[i])] = v;
            else
              d[py::str(t.columns[i])] = row[i];
          }
          rows.append(d);
        }
        return rows;
      },
      py::arg("database"),
      "A sweep database's points as a list of dicts (pandas: pandas.DataFrame(dcsim.sweep_table(db))).");
}
