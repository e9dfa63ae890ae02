#include "study/mpi_sweep.hpp"

#include <mpi.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace dcsim::study {
namespace {

enum Tag : int { kReady = 1, kWork = 2, kStop = 3 };

// MPI_Init_thread and MPI_Finalize for the life of the sweep; only the main thread calls MPI.
struct MpiSession {
  MpiSession() {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
      throw std::runtime_error("MPI_Init_thread failed");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  ~MpiSession() { MPI_Finalize(); }
  int rank = 0, size = 1;
};

void send_text(const std::string& text, int to, int tag) {
  MPI_Send(text.data(), int(text.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

// The next message from `from` (or anyone), whatever its size: its text, source and tag.
std::string receive_text(int from, int& source, int& tag) {
  MPI_Status status;
  MPI_Probe(from, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string text(std::size_t(count), '\0');
  MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  source = status.MPI_SOURCE;
  tag = status.MPI_TAG;
  return text;
}

// A row crosses as JSON; doubles print as the shortest text that reads back the same bits.
std::string encode(const PointRow& r) {
  nlohmann::json j = {{"id", r.id},       {"key", r.key},     {"axes", r.axes},
                      {"ok", r.ok},       {"error", r.error}, {"wall_s", r.wall_seconds},
                      {"scalars", r.scalars}, {"results", r.results_json}, {"internal", r.internal}};
  return j.dump();
}

PointRow decode(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  PointRow r;
  r.id = j["id"].get<std::int64_t>();
  r.key = j["key"].get<std::string>();
  r.axes = j["axes"].get<Bindings>();
  r.ok = j["ok"].get<bool>();
  r.error = j["error"].get<std::string>();
  r.wall_seconds = j["wall_s"].get<double>();
  r.scalars = j["scalars"].get<std::vector<std::pair<std::string, double>>>();
  r.results_json = j["results"].get<std::string>();
  r.internal = j["internal"].get<bool>();
  return r;
}

// Ranks 1..N-1: ask for a point, run it, send its row with the next request.
void serve(const SweepSpec& spec) {
  std::map<std::string, SweepPoint> by_key;
  for (SweepPoint& p : expand_points(spec)) {
    std::string key = p.key();
    by_key.emplace(std::move(key), std::move(p));
  }
  std::string row;  // empty on the first request
  for (;;) {
    send_text(row, 0, kReady);
    int source = 0, tag = 0;
    const std::string key = receive_text(0, source, tag);
    if (tag == kStop) return;
    const auto it = by_key.find(key);
    if (it == by_key.end()) throw std::logic_error("MPI sweep: rank 0 sent a point this rank does not have: " + key);
    row = encode(run_point(spec, it->second, nullptr));
  }
}

}  // namespace

bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* v = std::getenv(var); v && std::atoi(v) > 1) return true;
  return false;
}

MpiSweep run_sweep_mpi(const SweepSpec& spec, const SweepOptions& options) {
  MpiSession mpi;
  MpiSweep out;
  out.ranks = mpi.size;
  out.coordinator = mpi.rank == 0;
  if (!out.coordinator) {
    serve(spec);
    return out;
  }
  if (mpi.size == 1) {  // nobody to hand points to: the threaded run
    out.summary = run_sweep(spec, options);
    return out;
  }
  // Rank 0: the checks and the database as in the threaded run; the runs on the other ranks,
  // a point to each as it asks, until none is left; then every rank is told to stop.
  const SweepExecutor hand_out = [&](const std::vector<const SweepPoint*>& points,
                                     std::vector<std::optional<scenario::Scenario>>&,
                                     const std::function<void(PointRow&&)>& record) {
    std::size_t next = 0;
    int serving = mpi.size - 1;
    while (serving > 0) {
      int source = 0, tag = 0;
      const std::string row = receive_text(MPI_ANY_SOURCE, source, tag);
      if (!row.empty()) record(decode(row));
      if (next < points.size())
        send_text(points[next++]->key(), source, kWork);
      else {
        send_text("", source, kStop);
        --serving;
      }
    }
  };
  try {
    out.summary = run_sweep(spec, options, hand_out);
  } catch (...) {
    // The others wait for work: end the job rather than leave them hanging.
    MPI_Abort(MPI_COMM_WORLD, 1);
    throw;
  }
  return out;
}

}  // namespace dcsim::study
