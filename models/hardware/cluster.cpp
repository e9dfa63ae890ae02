#include "models/hardware/cluster.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <stdexcept>

namespace dcsim::hardware {

Cluster::Cluster(const ClusterSpec& spec) : spec_(spec) {
  if (!spec.server || !spec.accelerator) throw std::invalid_argument("cluster needs a server and accelerator type");
  if (spec.servers <= 0 || spec.servers_per_rack <= 0) throw std::invalid_argument("cluster sizes must be positive");
  server_ = *spec.server;
  if (spec.domain_servers > 0) server_.scale_up.domain_servers = spec.domain_servers;
  devices_ = spec.servers * spec.server->accelerators;
  racks_ = (spec.servers + spec.servers_per_rack - 1) / spec.servers_per_rack;
  racks_per_hall_ = spec.racks_per_hall > 0 ? spec.racks_per_hall : racks_;
  halls_ = (racks_ + racks_per_hall_ - 1) / racks_per_hall_;
}

std::int64_t Cluster::servers_in_rack(std::int64_t rack) const {
  const std::int64_t first = rack * spec_.servers_per_rack;
  return std::min(spec_.servers_per_rack, spec_.servers - first);
}

std::string Cluster::device_name(std::int64_t device) const {
  const std::int64_t server = server_of(device);
  const std::int64_t rack = rack_of(device);
  const char* kind = spec_.accelerator->vendor == "AWS" ? "trn" : "gpu";
  return fmt::format("hall{}/rack{}/server{}/{}{}", hall_of(device), rack % racks_per_hall_,
                     server % spec_.servers_per_rack, kind, device % devices_per_server());
}

std::optional<std::int64_t> Cluster::parse_device_name(const std::string& name) const {
  long long hall = 0, rack = 0, server = 0, dev = 0;
  char kind[4] = {};
  int consumed = 0;
  if (std::sscanf(name.c_str(), "hall%lld/rack%lld/server%lld/%3[a-z]%lld%n", &hall, &rack, &server, kind, &dev,
                  &consumed) != 5 ||
      consumed != static_cast<int>(name.size()))
    return std::nullopt;
  if (hall < 0 || rack < 0 || rack >= racks_per_hall_ || server < 0 || server >= spec_.servers_per_rack || dev < 0 ||
      dev >= devices_per_server())
    return std::nullopt;
  const std::int64_t global_rack = hall * racks_per_hall_ + rack;
  const std::int64_t global_server = global_rack * spec_.servers_per_rack + server;
  if (global_server >= spec_.servers) return std::nullopt;
  const std::int64_t device = global_server * devices_per_server() + dev;
  if (device_name(device) != name) return std::nullopt;
  return device;
}

}  // namespace dcsim::hardware
