#include "models/workload/training_sim.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>

namespace dcsim::workload {
namespace {

enum class Kind : std::uint8_t { Forward, Backward };

struct Task {
  Kind kind;
  std::int64_t mb;
  std::int64_t chunk;  // local chunk index on the pipeline rank
};

// The order a pipeline rank runs its tasks in (Megatron's schedules). Interleaved: the
// forwards go through a group of N microbatches per model chunk, chunk after chunk, group
// after group (Megatron-core's schedule table); the backwards in the same order, the chunks
// reversed; warm-up forwards first, then one forward and one backward at a time.
std::vector<Task> schedule_for(const ParallelPlan& plan, std::int64_t p) {
  const std::int64_t m = plan.microbatches(), vp = plan.virtual_stages;
  std::vector<Task> out;
  if (plan.schedule == Schedule::GPipe) {
    for (std::int64_t k = 0; k < vp; ++k)
      for (std::int64_t i = 0; i < m; ++i) out.push_back({Kind::Forward, i, k});
    for (std::int64_t k = vp; k-- > 0;)
      for (std::int64_t i = 0; i < m; ++i) out.push_back({Kind::Backward, i, k});
    return out;
  }
  std::vector<std::pair<std::int64_t, std::int64_t>> table;  // (microbatch, chunk) per forward
  table.reserve(std::size_t(m * vp));
  const std::int64_t n = vp == 1 ? m : plan.group();
  for (std::int64_t first = 0; first < m; first += n)
    for (std::int64_t k = 0; k < vp; ++k)
      for (std::int64_t i = first; i < std::min(m, first + n); ++i) table.emplace_back(i, k);
  const std::int64_t total = m * vp;
  auto fwd = [&](std::int64_t j) { return Task{Kind::Forward, table[std::size_t(j)].first, table[std::size_t(j)].second}; };
  auto bwd = [&](std::int64_t j) {
    return Task{Kind::Backward, table[std::size_t(j)].first, vp - 1 - table[std::size_t(j)].second};
  };
  const std::int64_t warmup = plan.warmup_forwards(p);
  for (std::int64_t j = 0; j < warmup; ++j) out.push_back(fwd(j));
  for (std::int64_t i = 0; i < total - warmup; ++i) {
    out.push_back(fwd(warmup + i));
    out.push_back(bwd(i));
  }
  for (std::int64_t i = total - warmup; i < total; ++i) out.push_back(bwd(i));
  return out;
}

struct Member {
  std::int64_t t, c;
};

}  // namespace

struct TrainingSim::Impl {
  Simulator& sim;
  network::NetworkSim& net;
  power::PowerModel* power;
  const TransformerSpec model;
  const ParallelPlan plan;
  const TrainingCosts costs;
  TraceWriter* trace;
  TrainingOptions options;

  std::int64_t m = 0, pp = 0, dp = 0, vp = 0, groups = 1;
  std::vector<std::vector<Member>> group_members;  // members of each group index g
  // With a member-symmetric fabric, only the first member of each unit puts its traffic on
  // the network, standing for all members (network_sim.hpp, MemberSymmetry).
  network::MemberSymmetry symmetry;
  bool reduced = false;
  std::vector<std::vector<Task>> schedules;         // per pipeline rank
  std::vector<std::int64_t> buckets_per_chunk;      // per virtual stage (dense buckets)
  std::vector<std::int64_t> last_backward_of;       // [p * vp + chunk]: microbatch
  double clock = 1.0;

  struct Unit {
    std::int64_t p = 0, d = 0, g = 0;
    std::vector<std::int64_t> devices;
    std::vector<std::int64_t> traced;  // ranks of this unit in the trace
    std::vector<std::pair<std::size_t, network::Prepared>> routes;  // to neighbouring units
    network::Prepared tp_ring;          // its members' TP ring (side traffic: link statistics)
    double tp_rate = 0;                 // bytes/s each rank sends on it during the current task
    Time task_started;
    std::size_t next = 0;
    bool busy = false;
    Time idle_since;
    std::vector<std::uint8_t> ready;    // [kind][chunk][mb]
    std::vector<Time> sent_at;          // when the message for that input left
    std::int64_t pending_reductions = 0;
    std::int64_t pending_gathers = 0;
    std::int64_t dp_in_flight = 0;      // DP collectives of its groups running beside its compute
    std::vector<std::uint8_t> gathered;  // per chunk: weights gathered (overlapped parameter gather)
    bool tasks_done = false;
    Time last_backward_end, end;
    TimeBreakdown time;
  };
  std::vector<Unit> units;
  // Rendezvous of DP groups: units arrived, per (p, g, chunk, bucket) for reductions and per
  // (p, g) for parameter gathers.
  std::vector<std::int64_t> bucket_arrivals, gather_arrivals;
  std::vector<std::size_t> bucket_base;  // first slot of virtual stage v
  std::size_t bucket_slots = 0;
  using CollectiveKey = std::tuple<int, std::int64_t, std::int64_t, double>;
  std::map<CollectiveKey, network::CollectivePlan> plan_cache;
  // NCCL runs a communicator's collectives one after another on its stream: one FIFO per
  // DP group (pipeline rank, TP/CP member, expert class).
  struct Stream {
    bool busy = false;
    std::deque<std::pair<const network::CollectivePlan*, std::function<void()>>> queue;
  };
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>, Stream> streams;

  void enqueue(Stream& s, const network::CollectivePlan* cp, std::function<void()> done) {
    s.queue.emplace_back(cp, std::move(done));
    if (!s.busy) pump(s);
  }
  void pump(Stream& s) {
    if (s.queue.empty()) {
      s.busy = false;
      return;
    }
    s.busy = true;
    auto [cp, done] = std::move(s.queue.front());
    s.queue.pop_front();
    network::run_collective(net, *cp, [this, &s, done = std::move(done)] {
      done();
      pump(s);
    });
  }
  Time start;
  double flops = 0;

  Impl(Simulator& s, network::NetworkSim& n, power::PowerModel* pw, const TransformerSpec& mdl, const ParallelPlan& pl,
       TrainingCosts c, TraceWriter* tr, TrainingOptions o)
      : sim(s), net(n), power(pw), model(mdl), plan(pl), costs(std::move(c)), trace(tr), options(std::move(o)) {
    m = plan.microbatches();
    pp = plan.pp;
    dp = plan.dp;
    vp = plan.virtual_stages;
    if (plan.schedule == Schedule::Interleaved && m % plan.group() != 0)
      throw std::invalid_argument(fmt::format(
          "the interleaved schedule needs the microbatches per iteration ({}) to be a multiple of its group ({})", m,
          plan.group()));
    std::vector<Member> all;
    for (std::int64_t c = 0; c < plan.cp; ++c)
      for (std::int64_t t = 0; t < plan.tp; ++t) all.push_back({t, c});
    if (options.group_identical_ranks) {
      group_members.push_back(all);
    } else {
      for (const Member& mb : all) group_members.push_back({mb});
    }
    groups = static_cast<std::int64_t>(group_members.size());
    for (std::int64_t p = 0; p < pp; ++p) schedules.push_back(schedule_for(plan, p));
    // The microbatch whose backward completes each chunk's gradients: the last in schedule
    // order, found once (a scan per task would make many microbatches quadratic).
    last_backward_of.assign(std::size_t(pp * vp), -1);
    for (std::int64_t p = 0; p < pp; ++p)
      for (const Task& t : schedules[std::size_t(p)])
        if (t.kind == Kind::Backward) last_backward_of[std::size_t(p * vp + t.chunk)] = t.mb;
    for (const ChunkCosts& ch : costs.chunks) {
      buckets_per_chunk.push_back(std::max<std::int64_t>(1, std::int64_t(std::ceil(ch.dense_params / plan.effective_bucket_params()))));
      bucket_base.push_back(bucket_slots);
      bucket_slots += std::size_t(buckets_per_chunk.back() + 1);  // dense buckets and the expert bucket
    }
    if (power) clock = power->clock(power::Activity::Compute);
    const std::set<std::int64_t> traced(options.trace_ranks.begin(), options.trace_ranks.end());
    for (std::int64_t p = 0; p < pp; ++p)
      for (std::int64_t d = 0; d < dp; ++d)
        for (std::int64_t g = 0; g < groups; ++g) {
          Unit u;
          u.p = p;
          u.d = d;
          u.g = g;
          for (const Member& mb : group_members[g]) {
            const std::int64_t r = rank_of(plan, {mb.t, mb.c, d, p});
            u.devices.push_back(r);
            if (traced.count(r)) u.traced.push_back(r);
          }
          std::sort(u.devices.begin(), u.devices.end());
          units.push_back(std::move(u));
        }
    reduced = find_symmetry();
    if (trace) {
      trace->process_name(1, "ranks");
      for (std::int64_t r : options.trace_ranks) {
        const RankCoord c = coord_of(plan, r);
        trace->thread_name(1, int(2 * r), fmt::format("rank {} (tp{} cp{} dp{} pp{})", r, c.t, c.c, c.d, c.p));
        trace->thread_name(1, int(2 * r + 1), fmt::format("rank {} communication", r));
        trace->thread_sort_index(1, int(2 * r), int(2 * r));
        trace->thread_sort_index(1, int(2 * r + 1), int(2 * r + 1));
      }
    }
  }

  // Members whose traffic is on the network: all of them, or the first standing for all.
  const std::vector<Member>& traffic_members(std::int64_t g) const { return reduced ? first_member[g] : group_members[g]; }
  std::vector<std::vector<Member>> first_member;
  const network::MemberSymmetry* sym() const { return reduced ? &symmetry : nullptr; }

  // Only the first TP member of every CP slice puts its traffic on the network, standing
  // for the others (docs/network.md, "Symmetry"), when a permutation of GPU positions maps
  // the traffic onto itself and the fabric too.
  bool find_symmetry() {
    if (!options.group_identical_ranks || !options.fold_symmetric_members || groups != 1 ||
        !net.fabric().member_symmetric() || plan.tp < 2)
      return false;
    if (!find_member_permutations() && !find_rotations()) return false;
    first_member.assign(1, {});
    for (std::int64_t c = 0; c < plan.cp; ++c) first_member[0].push_back({0, c});
    return true;
  }

  // Tensor-parallel member t of every unit maps to member t + m (mod tp), in every context-
  // parallel slice at once, by one permutation of GPU positions, the same in every server;
  // the fabric is unchanged by it. Then the members' traffic is that of members (0, c), one
  // per slice, permuted: they stand for all (a slice spanning servers keeps its own).
  bool find_member_permutations() {
    const std::size_t k = std::size_t(plan.tp);
    const int per = net.fabric().devices_per_server();
    std::vector<std::vector<int>> perms(k - 1, std::vector<int>(std::size_t(per), -1));
    std::vector<std::int64_t> dev(k);
    for (const Unit& u : units)
      for (std::int64_t c = 0; c < plan.cp; ++c) {
        for (std::size_t t = 0; t < k; ++t) dev[t] = rank_of(plan, {std::int64_t(t), c, u.d, u.p});
        for (std::size_t j = 0; j < k; ++j)
          for (std::size_t m = 1; m < k; ++m) {
            const std::int64_t from = dev[j], to = dev[(j + m) % k];
            if (from / per != to / per) return false;  // a TP group spanning servers
            int& slot = perms[m - 1][std::size_t(from % per)];
            if (slot >= 0 && slot != int(to % per)) return false;
            slot = int(to % per);
          }
      }
    for (auto& perm : perms) {
      // Positions no unit uses map to themselves; the whole must be a permutation.
      std::vector<bool> taken(std::size_t(per), false);
      for (int x : perm)
        if (x >= 0) taken[std::size_t(x)] = true;
      for (int i = 0; i < per; ++i)
        if (perm[std::size_t(i)] < 0) {
          if (taken[std::size_t(i)]) return false;
          perm[std::size_t(i)] = i;
          taken[std::size_t(i)] = true;
        }
      std::vector<int> sorted = perm;
      std::sort(sorted.begin(), sorted.end());
      for (int i = 0; i < per; ++i)
        if (sorted[std::size_t(i)] != i) return false;
      if (!net.fabric().symmetric_under(perm)) return false;
    }
    symmetry.perms = std::move(perms);
    return true;
  }

  // TP4 in servers of eight behind three tiers, where only rotations of all rails keep the
  // fabric: the rotation by m maps member 0 of every unit to member m, but the rotations by
  // 1..k-1 are not a group. They still stand for every member when the first members'
  // traffic is itself unchanged by the rotation by k, which maps each unit onto another of
  // the same stage (and each CP slice onto a slice): every pipeline message onto a pipeline
  // message, every DP collective onto the collective of its image. Then the whole traffic is
  // unchanged by every rotation, and link loads average over orbits of all of them
  // (MemberSymmetry::group). Refused, and the run unfolded, when any of that fails.
  bool find_rotations() {
    const int per = net.fabric().devices_per_server();
    const std::int64_t k = plan.tp;
    if (per % k != 0 || k >= per) return false;
    for (const ChunkCosts& ch : costs.chunks)
      if (ch.expert_params > 0) return false;  // expert collectives run over parts of a DP group
    std::vector<std::vector<int>> rotations;
    for (int j = 1; j < per; ++j) {
      std::vector<int> perm(static_cast<std::size_t>(per));
      for (int i = 0; i < per; ++i) perm[std::size_t(i)] = (i + j) % per;
      if (!net.fabric().symmetric_under(perm)) return false;
      rotations.push_back(std::move(perm));
    }
    const std::vector<int>& by_k = rotations[std::size_t(k - 1)];
    std::vector<std::int64_t> image_d(std::size_t(dp), -1), image_c(std::size_t(plan.cp), -1);
    const auto assign = [](std::int64_t& slot, std::int64_t value) {
      if (slot >= 0 && slot != value) return false;
      slot = value;
      return true;
    };
    for (const Unit& u : units)
      for (std::int64_t c = 0; c < plan.cp; ++c) {
        const std::int64_t first = rank_of(plan, {0, c, u.d, u.p});
        for (std::int64_t t = 0; t < k; ++t) {
          const std::int64_t r = rank_of(plan, {t, c, u.d, u.p});
          if (r / per != first / per || r % per != (first % per + t) % per) return false;
          const std::int64_t image = net.fabric().image_device(r, by_k);
          if (image >= plan.world()) return false;
          const RankCoord x = coord_of(plan, image);
          if (x.t != t || x.p != u.p || !assign(image_d[std::size_t(u.d)], x.d) ||
              !assign(image_c[std::size_t(c)], x.c))
            return false;
        }
      }
    // Pipeline messages connect units of one replica d: they map onto messages because the
    // unit map above is the same on every stage. Collectives are checked one by one.
    std::map<CollectiveKey, network::CollectivePlan> checked;
    for (const auto& [op, p, bytes] : dense_collectives()) {
      std::vector<network::CollectivePlan> of_slice;
      for (std::int64_t c = 0; c < plan.cp; ++c)
        of_slice.push_back(network::plan_collective(op, network::Algorithm::Auto, dp_ranks(p, {0, c}, -1), bytes, net));
      for (std::int64_t c = 0; c < plan.cp; ++c)
        if (!maps_onto(of_slice[std::size_t(c)], of_slice[std::size_t(image_c[std::size_t(c)])], by_k)) return false;
      for (std::int64_t c = 0; c < plan.cp; ++c)
        checked.emplace(collective_key(op, p, {0, c}, -1, bytes), std::move(of_slice[std::size_t(c)]));
    }
    symmetry.perms.assign(rotations.begin(), rotations.begin() + (k - 1));
    symmetry.group = std::move(rotations);
    rotation_checked = std::move(checked);
    return true;
  }
  // The collectives checked by find_rotations, prepared on first use; no other may run.
  std::map<CollectiveKey, network::CollectivePlan> rotation_checked;

  // Whether `image`, with every GPU position mapped by `perm`, is stage for stage the same
  // transfers as `target` (in any order within a stage).
  bool maps_onto(const network::CollectivePlan& image, const network::CollectivePlan& target,
                 const std::vector<int>& perm) const {
    if (image.stages.size() != target.stages.size()) return false;
    using Canonical = std::tuple<std::vector<std::pair<std::int64_t, std::int64_t>>, double, int>;
    const auto canonical = [&](const network::CollectiveStage& stage, bool map) {
      std::vector<Canonical> out;
      for (const auto& t : stage.transfers) {
        Canonical c{{}, t.bytes, t.steps};
        for (const auto& s : t.segments)
          std::get<0>(c).emplace_back(map ? net.fabric().image_device(s.src, perm) : s.src,
                                      map ? net.fabric().image_device(s.dst, perm) : s.dst);
        std::sort(std::get<0>(c).begin(), std::get<0>(c).end());
        out.push_back(std::move(c));
      }
      std::sort(out.begin(), out.end());
      return out;
    };
    for (std::size_t i = 0; i < image.stages.size(); ++i)
      if (canonical(image.stages[i], true) != canonical(target.stages[i], false)) return false;
    return true;
  }

  std::size_t unit_index(std::int64_t p, std::int64_t d, std::int64_t g) const {
    return static_cast<std::size_t>((p * dp + d) * groups + g);
  }
  std::size_t slot(Kind k, std::int64_t chunk, std::int64_t mb) const {
    return static_cast<std::size_t>(((k == Kind::Backward ? vp : 0) + chunk) * m + mb);
  }
  std::int64_t virtual_stage(std::int64_t p, std::int64_t chunk) const { return chunk * pp + p; }

  void set_power(const Unit& u, power::Activity a) {
    if (!power) return;
    const bool contiguous = u.devices.back() - u.devices.front() + 1 == std::int64_t(u.devices.size());
    if (contiguous)
      power->set_activity_range(u.devices.front(), std::int64_t(u.devices.size()), a, sim.now());
    else
      for (std::int64_t d : u.devices) power->set_activity(d, a, sim.now());
  }

  // Replica 0 of every stage draws the iteration's pipeline timeline.
  bool timeline_enabled = false;
  std::vector<PipelineSpan> timeline;
  void record(const Unit& u, SpanKind kind, Time from, Time to, std::int64_t mb = -1, std::int64_t chunk = -1) {
    if (!timeline_enabled || u.d != 0 || u.g != 0 || to <= from) return;
    timeline.push_back({std::int32_t(u.p), kind, (from - start).seconds(), (to - start).seconds(), std::int32_t(mb),
                        std::int32_t(chunk)});
  }

  void span(const Unit& u, bool comm, const std::string& name, const char* cat, Time from, Time to) {
    if (!trace) return;
    for (std::int64_t r : u.traced) trace->complete(1, int(2 * r + (comm ? 1 : 0)), name, cat, from, to - from);
  }

  // ---- pipeline -------------------------------------------------------------------------
  bool input_ready(const Unit& u, const Task& t) const {
    if (t.kind == Kind::Forward && !u.gathered[std::size_t(t.chunk)]) return false;  // weights still arriving
    return u.ready[slot(t.kind, t.chunk, t.mb)] != 0;
  }

  void try_advance(std::size_t ui) {
    Unit& u = units[ui];
    if (u.busy || u.next >= schedules[u.p].size()) return;
    const Task t = schedules[u.p][u.next];
    if (!input_ready(u, t)) return;
    const Time now = sim.now();
    // Idle time before this task: the part while its message was in flight is exposed
    // pipeline communication, the rest is bubble.
    const double wait = (now - u.idle_since).seconds();
    if (wait > 0) {
      const Time sent = u.sent_at[slot(t.kind, t.chunk, t.mb)];
      const double in_flight = std::max(0.0, (now - std::max(sent, u.idle_since)).seconds());
      const double exposed = std::min(wait, in_flight);
      u.time.pp_exposed += exposed;
      u.time.bubble += wait - exposed;
      if (u.traced.size()) span(u, false, "bubble", "bubble", u.idle_since, now);
      const Time waits_from = now - Time::from_seconds(exposed);
      record(u, SpanKind::Bubble, u.idle_since, waits_from);
      record(u, SpanKind::PipelineWait, waits_from, now);
    }
    ++u.next;
    u.busy = true;
    const std::int64_t v = virtual_stage(u.p, t.chunk);
    const ChunkCosts& ch = costs.chunks[v];
    const BlockCost& b = t.kind == Kind::Forward ? ch.forward : ch.backward;
    // A DP collective running beside this task takes SMs from it (overlap.hpp).
    const double share = u.dp_in_flight > 0 ? costs.dp_overlap_share : 0.0;
    const double compute = (b.compute_bound_s / clock + b.memory_bound_s) * options.compute_slowness / (1 - share);
    u.time.compute += compute;
    u.time.tp_exposed += b.tp_s;
    u.time.ep_exposed += b.ep_s;
    u.time.cp_exposed += b.cp_s;
    u.time.fsdp_exposed += b.fsdp_s;
    flops += b.hardware_flops * double(u.devices.size());
    set_power(u, power::Activity::Compute);
    const Time duration = Time::from_seconds(compute + b.comm_s());
    if (u.traced.size())
      span(u, false,
           fmt::format("{} mb{}{}", t.kind == Kind::Forward ? "F" : "B", t.mb, vp > 1 ? fmt::format(" chunk{}", t.chunk) : ""),
           "compute", now, now + duration);
    begin_tp_traffic(u, b.tp_bytes, (duration).seconds());
    const Time computed = now + Time::from_seconds(compute);
    record(u, t.kind == Kind::Forward ? SpanKind::Forward : SpanKind::Backward, now, computed, t.mb, t.chunk);
    record(u, SpanKind::InTaskComm, computed, now + duration, t.mb, t.chunk);
    const bool last_backward = t.kind == Kind::Backward && t.mb == last_backward_of[std::size_t(u.p * vp + t.chunk)];
    if (last_backward && plan.overlap_dp) schedule_buckets(ui, v, now, duration);
    sim.schedule_in(duration, [this, ui, t] { finish_task(ui, t); });
  }

  // TP collectives run inside a task, timed by the compute model; their bytes count on the
  // links (mostly NVLink) at a steady rate over the task.
  void begin_tp_traffic(Unit& u, double bytes, double seconds) {
    u.tp_rate = 0;
    if (plan.tp <= 1 || bytes <= 0 || seconds <= 0) return;
    if (!u.tp_ring) {
      std::vector<network::Segment> segs;
      // Every member of the unit: side traffic is booked per unit, never folded by symmetry.
      for (const Member& mem : group_members[std::size_t(u.g)])
        segs.push_back({rank_of(plan, {mem.t, mem.c, u.d, u.p}), rank_of(plan, {(mem.t + 1) % plan.tp, mem.c, u.d, u.p})});
      u.tp_ring = net.prepare(segs);
    }
    u.tp_rate = bytes / seconds;
    u.task_started = sim.now();
    net.begin_side_traffic(u.tp_ring, u.tp_rate);
  }
  void end_tp_traffic(Unit& u) {
    if (u.tp_rate <= 0) return;
    net.end_side_traffic(u.tp_ring, u.tp_rate, (sim.now() - u.task_started).seconds());
    u.tp_rate = 0;
  }

  void finish_task(std::size_t ui, Task t) {
    Unit& u = units[ui];
    end_tp_traffic(u);
    const std::int64_t v = virtual_stage(u.p, t.chunk);
    const std::int64_t S = plan.stages();
    std::int64_t to = -1;
    if (t.kind == Kind::Forward) {
      if (v == S - 1)
        u.ready[slot(Kind::Backward, t.chunk, t.mb)] = 1;  // the loss: backward may start here
      else
        to = v + 1;
    } else if (v > 0) {
      to = v - 1;
    }
    if (to >= 0 && !plan.overlap_pp) {
      // Blocking point-to-point: the stage stays busy until its message has arrived.
      set_power(u, power::Activity::Communication);
      send(ui, to, t.kind, t.mb, true);
      return;
    }
    if (to >= 0) send(ui, to, t.kind, t.mb, false);
    release(ui);
  }

  // The unit's current task (and its send, when blocking) is over: take the next one.
  void release(std::size_t ui) {
    Unit& u = units[ui];
    u.busy = false;
    u.idle_since = sim.now();
    if (u.next >= schedules[u.p].size()) {
      set_power(u, power::Activity::Idle);
      u.last_backward_end = sim.now();
      u.tasks_done = true;
      if (dp > 1) set_power(u, power::Activity::Communication);
      if (!plan.overlap_dp)
        for (std::int64_t k = 0; k < vp; ++k) schedule_buckets(ui, virtual_stage(u.p, k), sim.now(), Time::zero());
      maybe_finish_reductions(ui);
      return;
    }
    // The next task starts now when its input is here: the devices go on computing, and
    // idle written in between would be overwritten at the same nanosecond (a sixth of a
    // long schedule's time was power bookkeeping).
    try_advance(ui);
    if (!u.busy) set_power(u, power::Activity::Idle);
  }

  // A pipeline message from this unit to the unit running virtual stage `to`.

  void send(std::size_t ui, std::int64_t to, Kind kind, std::int64_t mb, bool blocking) {
    const Unit& u = units[ui];
    const std::int64_t p2 = to % pp, chunk2 = to / pp;
    const std::size_t dst = unit_index(p2, u.d, u.g);
    // A unit sends to at most two neighbours: its routes are kept with it.
    auto& routes = units[ui].routes;
    auto found = std::find_if(routes.begin(), routes.end(), [&](const auto& r) { return r.first == dst; });
    if (found == routes.end()) {
      routes.emplace_back(dst, nullptr);
      found = routes.end() - 1;
    }
    network::Prepared& route = found->second;
    if (!route) {
      std::vector<network::Segment> segs;
      for (const Member& mem : traffic_members(u.g))
        segs.push_back({rank_of(plan, {mem.t, mem.c, u.d, u.p}), rank_of(plan, {mem.t, mem.c, u.d, p2})});
      route = net.prepare(segs, sym());
    }
    const Time sent = sim.now();
    const std::size_t key = slot(kind, chunk2, mb);
    units[dst].sent_at[key] = sent;
    net.start(route, costs.pp_message_bytes, 1, [this, ui, dst, key, sent, blocking] {
      units[dst].ready[key] = 1;
      span(units[ui], true, "PP send", "pp", sent, sim.now());
      if (blocking) {
        units[ui].time.pp_exposed += (sim.now() - sent).seconds();
        record(units[ui], SpanKind::PipelineWait, sent, sim.now());
        release(ui);
      }
      try_advance(dst);
    });
  }

  // ---- data parallelism -----------------------------------------------------------------
  void schedule_buckets(std::size_t ui, std::int64_t v, Time from, Time over) {
    const std::int64_t n = buckets_per_chunk[v] + (costs.chunks[v].expert_params > 0 ? 1 : 0);
    for (std::int64_t b = 0; b < n; ++b) {
      // Buckets fill in reverse layer order as the backward proceeds.
      const Time at = from + Time::from_seconds(over.seconds() * double(b + 1) / double(n));
      ++units[ui].pending_reductions;
      sim.schedule_at(at, [this, ui, v, b] { bucket_ready(ui, v, b); });
    }
  }

  CollectiveKey collective_key(network::CollectiveOp op, std::int64_t p, const Member& mem, std::int64_t expert_class,
                               double bytes) const {
    return {int(op) * 4096 + int(mem.t * plan.cp + mem.c), p * 1'000'003 + expert_class, std::int64_t(0), bytes};
  }
  // The ranks of one DP group (of one expert class, or all with -1), in replica order.
  std::vector<std::int64_t> dp_ranks(std::int64_t p, const Member& mem, std::int64_t expert_class) const {
    std::vector<std::int64_t> ranks;
    for (std::int64_t d = 0; d < dp; ++d)
      if (expert_class < 0 || d % plan.ep == expert_class) ranks.push_back(rank_of(plan, {mem.t, mem.c, d, p}));
    return ranks;
  }

  const network::CollectivePlan& collective(network::CollectiveOp op, std::int64_t p, const Member& mem,
                                            std::int64_t expert_class, double bytes) {
    const CollectiveKey key = collective_key(op, p, mem, expert_class, bytes);
    auto it = plan_cache.find(key);
    if (it != plan_cache.end()) return it->second;
    network::CollectivePlan plan_;
    if (!symmetry.group.empty()) {
      // Folded by rotations: only collectives shown to map onto their images may run.
      auto checked = rotation_checked.find(key);
      if (checked == rotation_checked.end())
        throw std::logic_error("symmetry reduction: a data-parallel collective was not checked (dense_collectives)");
      plan_ = std::move(checked->second);
      rotation_checked.erase(checked);
    } else {
      plan_ = network::plan_collective(op, network::Algorithm::Auto, dp_ranks(p, mem, expert_class), bytes, net);
    }
    if (reduced)
      for (auto& stage : plan_.stages)
        for (auto& t : stage.transfers) t.prepared = net.prepare(t.segments, sym());
    return plan_cache.emplace(key, std::move(plan_)).first->second;
  }

  // What each data-parallel collective moves (bucket_ready, after_optimizer,
  // launch_parameter_gathers).
  network::CollectiveOp reduction_op() const {
    return plan.zero >= 1 && !plan.all_reduce_gradients ? network::CollectiveOp::ReduceScatter
                                                         : network::CollectiveOp::AllReduce;
  }
  double bucket_bytes(std::int64_t v, std::int64_t b) const {
    const ChunkCosts& ch = costs.chunks[std::size_t(v)];
    const bool experts = b == buckets_per_chunk[std::size_t(v)];
    return (experts ? ch.expert_params : ch.dense_params / double(buckets_per_chunk[std::size_t(v)])) * plan.grad_bytes;
  }
  double update_gather_bytes(std::int64_t p) const { return costs.dense_params[std::size_t(p)] * 2; }
  double chunk_gather_bytes(std::int64_t v) const {
    return costs.chunks[std::size_t(v)].dense_params * (plan.fp8_params ? 1.0 : 2.0);
  }
  // Every dense DP collective one iteration launches, per stage, for each member.
  std::vector<std::tuple<network::CollectiveOp, std::int64_t, double>> dense_collectives() const {
    std::vector<std::tuple<network::CollectiveOp, std::int64_t, double>> out;
    if (dp <= 1) return out;
    for (std::int64_t p = 0; p < pp; ++p)
      for (std::int64_t k = 0; k < vp; ++k) {
        const std::int64_t v = virtual_stage(p, k);
        if (plan.zero < 3)
          for (std::int64_t b = 0; b < buckets_per_chunk[std::size_t(v)]; ++b)
            out.emplace_back(reduction_op(), p, bucket_bytes(v, b));
        if (overlapped_gather()) out.emplace_back(network::CollectiveOp::AllGather, p, chunk_gather_bytes(v));
      }
    if (plan.zero >= 1 && plan.zero < 3 && !plan.overlap_param_gather)
      for (std::int64_t p = 0; p < pp; ++p) out.emplace_back(network::CollectiveOp::AllGather, p, update_gather_bytes(p));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  // Launches one reduction (or gather) over every DP group of (p, g); `done` runs once per
  // unit of those groups when all of its collectives have finished.
  void launch(std::int64_t p, std::int64_t g, network::CollectiveOp op, double bytes, bool experts,
              std::function<void(std::size_t)> each_unit_done) {
    std::vector<std::pair<Member, std::int64_t>> jobs;
    for (const Member& mem : traffic_members(g)) {
      if (!experts) {
        jobs.push_back({mem, -1});
      } else {
        for (std::int64_t e = 0; e < plan.ep; ++e) jobs.push_back({mem, e});
      }
    }
    auto remaining = std::make_shared<std::size_t>(jobs.size());
    for (std::int64_t d = 0; d < dp; ++d) ++units[unit_index(p, d, g)].dp_in_flight;
    auto finish = [this, p, g, remaining, each_unit_done] {
      if (--*remaining > 0) return;
      for (std::int64_t d = 0; d < dp; ++d) --units[unit_index(p, d, g)].dp_in_flight;
      for (std::int64_t d = 0; d < dp; ++d) each_unit_done(unit_index(p, d, g));
    };
    for (const auto& [mem, e] : jobs)
      enqueue(streams[{p, mem.t, mem.c, e}], &collective(op, p, mem, e, bytes), finish);
  }

  void bucket_ready(std::size_t ui, std::int64_t v, std::int64_t b) {
    const Unit& u = units[ui];
    auto& count = bucket_arrivals[std::size_t(u.g) * bucket_slots + bucket_base[std::size_t(v)] + std::size_t(b)];
    if (++count < dp) return;
    const bool experts = b == buckets_per_chunk[v];
    const std::int64_t group_size = experts ? dp / plan.ep : dp;
    // ZeRO-3 reduce-scatters each layer's gradients within the backward (training_costs).
    if (group_size <= 1 || dp <= 1 || plan.zero >= 3) {
      for (std::int64_t d = 0; d < dp; ++d) reduction_done(unit_index(u.p, d, u.g));
      return;
    }
    const Time started = sim.now();
    const std::int64_t p = u.p, g = u.g;
    launch(p, g, reduction_op(), bucket_bytes(v, b), experts, [this, started](std::size_t unit) {
      if (units[unit].traced.size()) span(units[unit], true, "DP grad reduce", "dp", started, sim.now());
      reduction_done(unit);
    });
  }

  void reduction_done(std::size_t ui) {
    --units[ui].pending_reductions;
    maybe_finish_reductions(ui);
  }

  void maybe_finish_reductions(std::size_t ui) {
    Unit& u = units[ui];
    if (!u.tasks_done || u.pending_reductions > 0 || u.end != Time::zero()) return;
    // Gradients reduced: the optimizer step.
    const Time now = sim.now();
    u.time.dp_exposed += (now - u.last_backward_end).seconds();
    record(u, SpanKind::DataParallel, u.last_backward_end, now);
    const double opt = costs.optimizer_s[u.p];
    u.time.optimizer += opt;
    record(u, SpanKind::Optimizer, now, now + Time::from_seconds(opt));
    set_power(u, power::Activity::Memory);
    span(u, false, "optimizer", "optimizer", now, now + Time::from_seconds(opt));
    u.end = Time::max();  // in the optimizer
    sim.schedule_in(Time::from_seconds(opt), [this, ui] { after_optimizer(ui); });
  }

  void after_optimizer(std::size_t ui) {
    Unit& u = units[ui];
    set_power(u, power::Activity::Idle);
    if (plan.zero >= 1 && plan.zero < 3 && dp > 1) {  // ZeRO-3 gathers each layer as it goes
      u.pending_gathers = 1;
      u.last_backward_end = sim.now();  // reuse: start of the exposed gather
      set_power(u, power::Activity::Communication);
      auto& count = gather_arrivals[std::size_t(u.p * groups + u.g)];
      if (++count < dp) return;
      if (plan.overlap_param_gather) {
        for (std::int64_t d = 0; d < dp; ++d) gather_done(unit_index(u.p, d, u.g));
        return;
      }
      const Time started = sim.now();
      launch(u.p, u.g, network::CollectiveOp::AllGather, update_gather_bytes(u.p), false, [this, started](std::size_t unit) {
        if (units[unit].traced.size()) span(units[unit], true, "DP param gather", "dp", started, sim.now());
        gather_done(unit);
      });
      return;
    }
    complete(ui);
  }

  void gather_done(std::size_t ui) {
    Unit& u = units[ui];
    u.time.dp_exposed += (sim.now() - u.last_backward_end).seconds();
    record(u, SpanKind::DataParallel, u.last_backward_end, sim.now());
    complete(ui);
  }

  void complete(std::size_t ui) {
    Unit& u = units[ui];
    u.end = sim.now();
    set_power(u, power::Activity::Idle);
  }

  // The distributed optimizer's parameter all-gather overlapped with the next iteration's
  // forward (Megatron overlap_param_gather): each chunk's weights, gathered in chunk order,
  // gate that chunk's forwards; the gathers run beside the first forwards. One iteration of
  // the steady state starts with the gathers of the previous step's update.
  bool overlapped_gather() const { return plan.overlap_param_gather && plan.zero >= 1 && plan.zero < 3 && dp > 1; }
  void launch_parameter_gathers() {
    for (std::int64_t p = 0; p < pp; ++p)
      for (std::int64_t g = 0; g < groups; ++g)
        for (std::int64_t k = 0; k < vp; ++k) {
          const Time started = sim.now();
          launch(p, g, network::CollectiveOp::AllGather, chunk_gather_bytes(virtual_stage(p, k)), false, [this, k, started](std::size_t unit) {
            Unit& u = units[unit];
            if (u.traced.size()) span(u, true, "DP param gather", "dp", started, sim.now());
            u.gathered[std::size_t(k)] = 1;
            try_advance(unit);
          });
        }
  }

  IterationResult run() {
    start = sim.now();
    bucket_arrivals.assign(std::size_t(groups) * bucket_slots, 0);
    gather_arrivals.assign(std::size_t(pp * groups), 0);
    flops = 0;
    timeline.clear();
    timeline_enabled = pp * 2 * vp * m <= IterationResult::kMaxTimelineTasks;
    const std::size_t slots = static_cast<std::size_t>(2 * vp * m);
    for (Unit& u : units) {
      u.next = 0;
      u.busy = false;
      u.idle_since = start;
      u.ready.assign(slots, 0);
      u.sent_at.assign(slots, start);
      u.pending_reductions = 0;
      u.pending_gathers = 0;
      u.tasks_done = false;
      u.end = Time::zero();
      u.time = {};
      if (u.p == 0)
        for (std::int64_t i = 0; i < m; ++i) u.ready[slot(Kind::Forward, 0, i)] = 1;  // data is at hand
      u.gathered.assign(std::size_t(vp), overlapped_gather() ? 0 : 1);
    }
    if (overlapped_gather()) launch_parameter_gathers();
    for (std::size_t i = 0; i < units.size(); ++i) sim.schedule_in(Time::zero(), [this, i] { try_advance(i); });
    sim.run();
    Time end = start;
    for (const Unit& u : units) {
      if (u.end == Time::zero() || u.end == Time::max())
        throw std::logic_error(fmt::format("the pipeline schedule did not complete (pp rank {}, dp {})", u.p, u.d));
      end = std::max(end, u.end);
    }
    IterationResult r;
    r.seconds = (end - start).seconds();
    r.hardware_flops = flops;
    for (const Unit& u : units) record(u, SpanKind::Bubble, u.end, end);  // waiting for the slowest unit
    r.timeline = std::move(timeline);
    for (Unit& u : units) {
      u.time.bubble += (end - u.end).seconds();  // waiting for the slowest unit
      const double n = double(units.size());
      r.breakdown.compute += u.time.compute / n;
      r.breakdown.tp_exposed += u.time.tp_exposed / n;
      r.breakdown.ep_exposed += u.time.ep_exposed / n;
      r.breakdown.cp_exposed += u.time.cp_exposed / n;
      r.breakdown.fsdp_exposed += u.time.fsdp_exposed / n;
      r.breakdown.pp_exposed += u.time.pp_exposed / n;
      r.breakdown.bubble += u.time.bubble / n;
      r.breakdown.dp_exposed += u.time.dp_exposed / n;
      r.breakdown.optimizer += u.time.optimizer / n;
    }
    return r;
  }
};

const char* to_string(SpanKind k) {
  switch (k) {
    case SpanKind::Forward: return "forward";
    case SpanKind::Backward: return "backward";
    case SpanKind::InTaskComm: return "tp_cp_ep_comm";
    case SpanKind::Bubble: return "bubble";
    case SpanKind::PipelineWait: return "pp_wait";
    case SpanKind::DataParallel: return "dp";
    case SpanKind::Optimizer: return "optimizer";
  }
  return "?";
}

TrainingSim::TrainingSim(Simulator& sim, network::NetworkSim& net, power::PowerModel* power, const TransformerSpec& model,
                         const ParallelPlan& plan, TrainingCosts costs, TraceWriter* trace, TrainingOptions options)
    : impl_(std::make_unique<Impl>(sim, net, power, model, plan, std::move(costs), trace, std::move(options))) {}

TrainingSim::~TrainingSim() = default;

IterationResult TrainingSim::run_iteration() { return impl_->run(); }

bool TrainingSim::traffic_reduced() const { return impl_->reduced; }

}  // namespace dcsim::workload
