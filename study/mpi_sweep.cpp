#include "study/mpi_sweep.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <fmt/format.h>
#include <future>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace dcsim::study {
namespace {

// Every message but a row is small enough to leave at once whether or not anyone receives
// it: a row goes only to a rank 0 that asked for it (kPull) and waits for it.
enum Tag : int { kReady = 1, kWork = 2, kStop = 3, kBeat = 4, kPull = 5, kRow = 6 };

// MPI_Init_thread and MPI_Finalize for the life of the sweep; only the main thread calls MPI.
struct MpiSession {
  MpiSession() {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
      throw std::runtime_error("MPI_Init_thread failed");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  // MPI_Finalize waits for every rank, a dead one too (Open MPI 4 under --enable-recovery
  // can hang there): after a death under recovery nobody calls it, and mpirun ends the job
  // as each rank exits.
  ~MpiSession() {
    if (finalize) MPI_Finalize();
  }
  int rank = 0, size = 1;
  bool finalize = true;
};

// The stop message's text when a rank was taken for dead: leave without MPI_Finalize.
constexpr const char* kStopAfterDeath = "after a death";

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

// How often a rank running a point says it is alive: several times per timeout.
std::chrono::milliseconds beat_period(double rank_timeout_s) {
  return std::chrono::milliseconds(std::max<std::int64_t>(50, std::int64_t(rank_timeout_s * 1000 / 5)));
}

// Ranks 1..N-1: ask for a point, run it on a thread while telling rank 0 it is alive; ask
// for the next, saying a row is ready, and send the row if rank 0 pulls it.
// Returns whether MPI_Finalize may be called (no rank was taken for dead).
bool serve(const SweepSpec& spec, int rank, double rank_timeout_s) {
  std::map<std::string, SweepPoint> by_key;
  for (SweepPoint& p : expand_points(spec)) {
    std::string key = p.key();
    by_key.emplace(std::move(key), std::move(p));
  }
  // A test hook (tests/study/mpi_sweep_test.sh): DCSIM_SWEEP_TEST_FAULT=R:exit makes rank R die
  // on taking its first point; R:stall makes it fall silent for three timeouts first.
  std::string fault;
  if (const char* f = std::getenv("DCSIM_SWEEP_TEST_FAULT"); f && std::atoi(f) == rank) {
    const std::string text = f;
    fault = text.substr(text.find(':') + 1);
  }
  const auto period = beat_period(rank_timeout_s);
  std::string row;  // empty on the first request
  for (;;) {
    send_text(row.empty() ? "" : "row", 0, kReady);
    int source = 0, tag = 0;
    std::string key = receive_text(0, source, tag);
    if (tag == kPull) {
      send_text(row, 0, kRow);
      key = receive_text(0, source, tag);
    }
    row.clear();  // sent, or not wanted (this rank was taken for dead meanwhile)
    if (tag == kStop) return key != kStopAfterDeath;
    if (fault == "exit") std::_Exit(9);
    if (fault == "stall") std::this_thread::sleep_for(std::chrono::duration<double>(3 * rank_timeout_s));
    fault.clear();
    const auto it = by_key.find(key);
    if (it == by_key.end()) throw std::logic_error("MPI sweep: rank 0 sent a point this rank does not have: " + key);
    // Only this thread calls MPI (MPI_THREAD_FUNNELED); the point runs beside it.
    auto running = std::async(std::launch::async, [&] { return encode(run_point(spec, it->second, nullptr)); });
    while (running.wait_for(period) != std::future_status::ready) send_text("", 0, kBeat);
    row = running.get();
  }
}

// Rank 0's side: points out one at a time to whoever asks; a rank that holds a point and
// has not been heard from for the timeout is taken for dead and its point goes to another.
// Open MPI keeps the others running after a death only under `mpirun --enable-recovery`.
class Dispatcher {
 public:
  Dispatcher(int ranks, double timeout_s, const std::vector<const SweepPoint*>& points,
             const std::function<void(PointRow&&)>& record, const SweepSpec& spec)
      : ranks_(ranks), timeout_(timeout_s), points_(points), record_(record), spec_(spec),
        held_(std::size_t(ranks)), dead_(std::size_t(ranks), false), heard_(std::size_t(ranks), Clock::now()) {
    for (std::size_t i = 0; i < points.size(); ++i) queue_.push_back(i);
  }

  void run() {
    for (;;) {
      int flag = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
      if (flag) {
        take_message(status.MPI_SOURCE);
      } else {
        retire_silent_ranks();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      while (!waiting_.empty() && !queue_.empty()) {
        const int r = waiting_.back();
        waiting_.pop_back();
        held_[std::size_t(r)] = queue_.front();
        queue_.pop_front();
        heard_[std::size_t(r)] = Clock::now();
        send_text(points_[*held_[std::size_t(r)]]->key(), r, kWork);
      }
      if (queue_.empty() && !any_held()) break;
      if (live_ranks() == 0) {  // nobody left to hand points to: rank 0 runs the rest
        for (std::size_t i : queue_) record_(run_point(spec_, *points_[i], nullptr));
        queue_.clear();
        break;
      }
    }
    // Every rank gets a stop, whether it is waiting now, asks later or was taken for dead (a
    // dead process's stop is never read; a slow one reads it when it next asks).
    receive_owed_rows();
    const bool skip_finalize = !finalize_after();
    for (int r = 1; r < ranks_; ++r) send_text(skip_finalize ? kStopAfterDeath : "", r, kStop);
  }

  // Whether the ranks may call MPI_Finalize: unless one was taken for dead under
  // `mpirun --enable-recovery` (without it a real death ends the job before this, so the
  // rank was only slow and will finalize with the others).
  bool finalize_after() const {
    const char* recovery = std::getenv("OMPI_MCA_orte_enable_recovery");
    return deaths_ == 0 || !recovery || std::string(recovery) != "1";
  }

 private:
  using Clock = std::chrono::steady_clock;

  void take_message(int source) {
    int from = 0, tag = 0;
    const std::string row = receive_text(source, from, tag);
    const auto r = std::size_t(from);
    heard_[r] = Clock::now();
    if (tag == kBeat) return;
    if (tag == kRow) std::erase(owed_, from);  // a row given up on, arriving late: dropped
    if (dead_[r]) {
      // Taken for dead but only slow: its point was handed on, so its row is dropped (the
      // rerun gives the same row); it may take work again.
      dead_[r] = false;
      std::cerr << fmt::format("warning: MPI rank {} answered again after being taken for dead\n", from);
    } else if (!row.empty() && held_[r]) {
      pull_row(from);
    }
    held_[r].reset();
    if (!dead_[r]) waiting_.push_back(from);
  }

  // The rank has a row and was just heard from; it dies before sending it only if it dies
  // now, and then the point goes back in the queue.
  void pull_row(int from) {
    const auto r = std::size_t(from);
    send_text("", from, kPull);
    const auto since = Clock::now();
    for (;;) {
      int flag = 0;
      MPI_Status status;
      MPI_Iprobe(from, kRow, MPI_COMM_WORLD, &flag, &status);
      if (flag) {
        int source = 0, tag = 0;
        record_(decode(receive_text(from, source, tag)));
        return;
      }
      if (std::chrono::duration<double>(Clock::now() - since).count() > timeout_) {
        dead_[r] = true;
        ++deaths_;
        owed_.push_back(from);
        std::cerr << fmt::format("warning: MPI rank {} did not send the row of point {} it had finished: taken for "
                                 "dead, the point goes to another rank\n",
                                 from, points_[*held_[r]]->key());
        queue_.push_front(*held_[r]);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  // A rank given up on while its row was pulled may still be sending it: a sender blocked on
  // a row nobody receives would never read its stop. Such rows are received (and dropped)
  // for up to one timeout before the end.
  void receive_owed_rows() {
    const auto since = Clock::now();
    while (!owed_.empty() && std::chrono::duration<double>(Clock::now() - since).count() <= timeout_) {
      std::erase_if(owed_, [](int from) {
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(from, kRow, MPI_COMM_WORLD, &flag, &status);
        if (!flag) return false;
        int source = 0, tag = 0;
        receive_text(from, source, tag);
        return true;
      });
      if (!owed_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void retire_silent_ranks() {
    const auto now = Clock::now();
    for (int r = 1; r < ranks_; ++r) {
      const auto i = std::size_t(r);
      if (dead_[i] || !held_[i]) continue;
      const double silent = std::chrono::duration<double>(now - heard_[i]).count();
      if (silent <= timeout_) continue;
      dead_[i] = true;
      ++deaths_;
      std::cerr << fmt::format("warning: MPI rank {} silent for {:.0f} s while running point {}: taken for dead, its "
                               "point goes to another rank\n",
                               r, silent, points_[*held_[i]]->key());
      queue_.push_front(*held_[i]);
      held_[i].reset();
    }
  }

  bool any_held() const {
    return std::any_of(held_.begin(), held_.end(), [](const auto& h) { return h.has_value(); });
  }
  int live_ranks() const { return int(std::count(dead_.begin() + 1, dead_.end(), false)); }

  int ranks_;
  double timeout_;
  const std::vector<const SweepPoint*>& points_;
  const std::function<void(PointRow&&)>& record_;
  const SweepSpec& spec_;
  std::deque<std::size_t> queue_;               // points not yet handed out (or handed back)
  std::vector<std::optional<std::size_t>> held_;  // per rank: the point it runs
  std::vector<bool> dead_;
  std::vector<Clock::time_point> heard_;
  std::vector<int> waiting_;  // ranks that asked for work
  int deaths_ = 0;            // ranks taken for dead, even if one answered again
  std::vector<int> owed_;     // ranks given up on while their row was pulled
};

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
    mpi.finalize = serve(spec, mpi.rank, options.rank_timeout_s);
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
    Dispatcher dispatcher(mpi.size, options.rank_timeout_s, points, record, spec);
    dispatcher.run();
    mpi.finalize = dispatcher.finalize_after();
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
