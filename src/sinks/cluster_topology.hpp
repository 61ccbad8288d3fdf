#pragma once

// Private to src/sinks: a Redis Cluster target's slot map, shared by its connections, refreshed
// from CLUSTER SHARDS (or CLUSTER SLOTS) at most once per interval, patched by -MOVED at once,
// and the per-node counters the report shows.

#include "cachewarm/core/result.hpp"
#include "cachewarm/sinks/cluster_slots.hpp"
#include "cachewarm/sinks/sink.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cachewarm::sinks {

class Dialer;

// Which master serves each slot.
struct SlotMap {
  std::vector<HostPort> masters;
  std::vector<std::vector<HostPort>> replicas;       // per master
  std::array<std::int16_t, k_cluster_slots> owner{}; // index into masters; -1: not served

  // The master of `slot`, or null when no master serves it.
  const HostPort* master_of(std::uint16_t slot) const
  {
    const std::int16_t index = owner[slot];
    return index < 0 ? nullptr : &masters[static_cast<std::size_t>(index)];
  }
};

// Builds the map of `shards` (every slot unserved unless a shard names it).
SlotMap make_slot_map(const std::vector<ClusterShard>& shards);

// What one round did on one node, for the report.
struct NodeCounts {
  std::uint64_t written = 0;
  std::uint64_t failed = 0;
  std::uint64_t moved = 0;
  std::uint64_t ask = 0;
};

class ClusterTopology {
public:
  // `dialer` opens the connections to the seeds and nodes (it must outlive the topology).
  ClusterTopology(const Dialer& dialer, std::vector<HostPort> seeds);

  // Asks the masters known so far, then the seeds, for the layout (CLUSTER SHARDS, or CLUSTER
  // SLOTS on servers without it) and installs it. Without `force` only when there is no map yet,
  // or the map is stale (mark_stale, moved) and the last refresh is 250 ms old: other callers
  // keep the map they have. A master replaced by one of its replicas counts a failover.
  // Errors: Errc::target_unreachable when no node answers with a layout.
  core::Result<void> refresh(bool force) const;

  // The current map (null before the first successful refresh).
  std::shared_ptr<const SlotMap> map() const;

  // -MOVED: `slot` is served by `node` from now on (the map is patched at once; a refresh is
  // due, the next refresh() call runs it unless one ran within the interval).
  void moved(std::uint16_t slot, const HostPort& node) const;

  // A connection to a master broke or it answered -READONLY/-CLUSTERDOWN: the layout may have
  // changed (a failover).
  void mark_stale() const;

  // Adds `counts` to `node`'s counters.
  void record(const std::string& node, const NodeCounts& counts) const;

  // Every master known, with its slots now and its counters so far.
  std::vector<NodeFacts> facts() const;

private:
  core::Result<std::vector<ClusterShard>> ask(const HostPort& node) const;
  void install(SlotMap map) const; // under m_mutex

  const Dialer& m_dialer;
  std::vector<HostPort> m_seeds;
  mutable std::mutex m_mutex;
  mutable std::shared_ptr<const SlotMap> m_map;
  mutable std::chrono::steady_clock::time_point m_refreshed{};
  mutable bool m_stale = false;
  mutable std::map<std::string, NodeFacts> m_nodes; // by address
  mutable bool m_shards_unknown = false;            // the server has no CLUSTER SHARDS
};

} // namespace cachewarm::sinks
