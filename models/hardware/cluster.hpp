#pragma once
// The physical layout of a cluster: halls of racks of servers of accelerators. Devices are
// numbered 0..N-1 in that nesting order and addressable as "hall/rack/server/device".
// It holds no per-device objects, so 100,000+ accelerators cost nothing to describe.
#include <cstdint>
#include <optional>
#include <string>

#include "models/hardware/accelerator.hpp"
#include "models/hardware/server.hpp"

namespace dcsim::hardware {

struct ClusterSpec {
  const ServerSpec* server = nullptr;
  const AcceleratorSpec* accelerator = nullptr;
  std::int64_t servers = 0;
  std::int64_t servers_per_rack = 1;
  std::int64_t racks_per_hall = 0;  // 0: one hall holds every rack
  // Servers per scale-up domain when the cluster uses only part of each (a 128-GPU run on
  // two NVL72 racks has 16 trays of each); 0: the server's own domain.
  int domain_servers = 0;
};

class Cluster {
 public:
  explicit Cluster(const ClusterSpec& spec);

  const ServerSpec& server() const { return server_; }
  const AcceleratorSpec& accelerator() const { return *spec_.accelerator; }
  std::int64_t devices() const { return devices_; }
  std::int64_t servers() const { return spec_.servers; }
  std::int64_t racks() const { return racks_; }
  std::int64_t halls() const { return halls_; }
  int devices_per_server() const { return server_.accelerators; }
  std::int64_t devices_per_rack() const { return spec_.servers_per_rack * server_.accelerators; }
  // A scale-up domain: the devices joined by NVLink / NeuronLink (a server, or several).
  std::int64_t domain_size() const { return server_.domain_size(); }

  std::int64_t server_of(std::int64_t device) const { return device / devices_per_server(); }
  std::int64_t rack_of(std::int64_t device) const { return server_of(device) / spec_.servers_per_rack; }
  std::int64_t hall_of(std::int64_t device) const { return rack_of(device) / racks_per_hall_; }
  std::int64_t domain_of(std::int64_t device) const { return device / domain_size(); }
  std::int64_t servers_in_rack(std::int64_t rack) const;

  // "hall0/rack3/server1/gpu5" (Trainium devices are "trn5"); server and rack indices are
  // within their parent. parse_device_name() reverses it.
  std::string device_name(std::int64_t device) const;
  std::optional<std::int64_t> parse_device_name(const std::string& name) const;

 private:
  ClusterSpec spec_;
  ServerSpec server_;  // the catalog's, with the cluster's scale-up domain
  std::int64_t devices_ = 0;
  std::int64_t racks_ = 0;
  std::int64_t racks_per_hall_ = 0;
  std::int64_t halls_ = 0;
};

}  // namespace dcsim::hardware
