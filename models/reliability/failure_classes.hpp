#pragma once
// Failure classes: the default rates, how many components each class counts, and the
// interruption rate of a job (docs/reliability.md, "Failure processes").
#include <cstdint>
#include <string>
#include <vector>

#include "models/reliability/reliability_spec.hpp"

namespace dcsim::reliability {

// The unexpected interruptions of Llama 3 405B's 54-day snapshot on 16,384 H100 (arXiv
// 2407.21783, Table 5), grouped into component classes and turned into rates per component.
std::vector<FailureClass> llama3_failure_classes();
// Classes a scenario may enable that the Llama 3 table does not have (rate 0 by default):
// leaf and spine switches, rack power, stragglers.
std::vector<FailureClass> extra_failure_classes();
// The default set: both of the above.
std::vector<FailureClass> default_failure_classes();

// Failures per 1,000 node-days <-> per component-hour.
double per_component_hour(double per_1000_node_days, Scope scope, const ClusterShape& shape);
double per_1000_node_days(const FailureClass& c, const ClusterShape& shape);

std::int64_t component_count(Scope scope, const ClusterShape& shape);
// Nodes a failure of the class takes out of the job (its blast radius).
std::int64_t blast_nodes(const FailureClass& c, const ClusterShape& shape);
// Failures per hour across the cluster that stop the job (every effect but Degrade).
double interruptions_per_hour(const std::vector<FailureClass>& classes, const ClusterShape& shape);

}  // namespace dcsim::reliability
