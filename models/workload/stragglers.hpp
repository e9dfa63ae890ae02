#pragma once
// GPU-to-GPU speed variability (docs/training.md, "Stragglers"). Chips of one model differ in
// the clock they hold under the same power cap: Sinha et al., "Not All GPUs Are Created Equal"
// (2022) measure up to 8 % spread in GEMM throughput across the GPUs of one cluster, which is
// a standard deviation near 1.2 % for a normal spread over a few hundred GPUs. A synchronous
// step runs at the pace of its slowest device (TP and CP wait for it every layer, the pipeline
// at every microbatch, data parallelism at the gradient reduction), so a job's compute takes
// the expected maximum of its devices' slowness: it grows with the device count.
#include <cstdint>

namespace dcsim::workload {

// Standard deviation of per-device compute time, relative (see above).
inline constexpr double kDeviceVariability = 0.012;

// Expected compute-time multiplier of the slowest of `devices` chips whose relative speeds
// are normal with standard deviation `sigma`: 1 + sigma * E[max of n standard normals],
// by Blom's order-statistic approximation (within 5 % of the exact mean for n >= 2, 1 % for n >= 8).
double slowest_device_factor(std::int64_t devices, double sigma);

}  // namespace dcsim::workload
