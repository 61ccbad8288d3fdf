#include "cluster_topology.hpp"

#include "redis_detail.hpp"

#include "cachewarm/core/log.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace cachewarm::sinks {

namespace {

constexpr std::chrono::milliseconds k_refresh_interval{250};

} // namespace

SlotMap
make_slot_map(const std::vector<ClusterShard>& shards)
{
  SlotMap map;
  map.owner.fill(-1);
  for (const ClusterShard& shard : shards) {
    const auto index = static_cast<std::int16_t>(map.masters.size());
    map.masters.push_back(shard.master);
    map.replicas.push_back(shard.replicas);
    for (const SlotRange& range : shard.slots) {
      for (std::uint32_t slot = range.first; slot <= range.last; ++slot) {
        map.owner[slot] = index;
      }
    }
  }
  return map;
}

ClusterTopology::ClusterTopology(const Dialer& dialer, std::vector<HostPort> seeds)
    : m_dialer(dialer)
    , m_seeds(std::move(seeds))
{}

core::Result<std::vector<ClusterShard>>
ClusterTopology::ask(const HostPort& node) const
{
  CW_TRY_ASSIGN(Link link, m_dialer.dial_node(node));
  bool shards_unknown = false;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    shards_unknown = m_shards_unknown;
  }
  if (!shards_unknown) {
    CW_TRY_ASSIGN(ReplyPtr reply, command(*link.transport, {"CLUSTER", "SHARDS"}));
    if (reply->type != REDIS_REPLY_ERROR) {
      return parse_cluster_shards(*reply, m_dialer.address().tls);
    }
    // Redis before 7.0 has no CLUSTER SHARDS: CLUSTER SLOTS says the same in an older shape.
    std::lock_guard<std::mutex> lock(m_mutex);
    m_shards_unknown = true;
  }
  CW_TRY_ASSIGN(ReplyPtr reply, command(*link.transport, {"CLUSTER", "SLOTS"}));
  if (reply->type == REDIS_REPLY_ERROR) {
    return core::fail(core::Errc::target_unreachable,
                      "CLUSTER SLOTS: " + std::string(reply->str, reply->len));
  }
  return parse_cluster_slots(*reply);
}

core::Result<void>
ClusterTopology::refresh(bool force) const
{
  std::vector<HostPort> candidates;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (!force && m_map && (!m_stale || now - m_refreshed < k_refresh_interval)) {
      return {};
    }
    m_refreshed = now;
    // Known masters first (the seeds may be gone after a failover), then the seeds.
    if (m_map) {
      candidates = m_map->masters;
    }
  }
  candidates.insert(candidates.end(), m_seeds.begin(), m_seeds.end());
  std::string why;
  std::set<std::string> asked;
  for (const HostPort& node : candidates) {
    const std::string address = node_address(node);
    if (!asked.insert(address).second) {
      continue;
    }
    core::Result<std::vector<ClusterShard>> shards = ask(node);
    if (shards && !shards->empty()) {
      std::lock_guard<std::mutex> lock(m_mutex);
      install(make_slot_map(*shards));
      return {};
    }
    why += (why.empty() ? "" : "; ") + address + ": "
           + (shards ? std::string("serves no slots") : shards.error().message);
  }
  return core::fail(core::Errc::target_unreachable, "no cluster node reachable (" + why + ")");
}

void
ClusterTopology::install(SlotMap map) const
{
  // A master whose slots now belong to one of its former replicas failed over.
  if (m_map) {
    for (std::size_t old = 0; old < m_map->masters.size(); ++old) {
      const std::string old_address = node_address(m_map->masters[old]);
      const bool still_master =
          std::any_of(map.masters.begin(), map.masters.end(), [&](const HostPort& m) {
            return node_address(m) == old_address;
          });
      if (still_master) {
        continue;
      }
      // Its slots went to a node that was not a master before (a promoted replica), not to
      // another master (a reshard).
      bool replica_took_over = false;
      for (std::size_t slot = 0; slot < k_cluster_slots && !replica_took_over; ++slot) {
        if (m_map->owner[slot] != static_cast<std::int16_t>(old)) {
          continue;
        }
        const HostPort* now = map.master_of(static_cast<std::uint16_t>(slot));
        replica_took_over =
            now != nullptr
            && std::none_of(m_map->masters.begin(), m_map->masters.end(), [&](const HostPort& m) {
                 return node_address(m) == node_address(*now);
               });
      }
      if (replica_took_over) {
        ++m_nodes[old_address].failovers;
        core::log(core::LogLevel::info,
                  m_dialer.where() + ": master " + old_address + " failed over to a replica");
      }
    }
  }
  for (const HostPort& master : map.masters) {
    m_nodes[node_address(master)].address = node_address(master);
  }
  m_map = std::make_shared<const SlotMap>(std::move(map));
  m_stale = false;
}

std::shared_ptr<const SlotMap>
ClusterTopology::map() const
{
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_map;
}

void
ClusterTopology::moved(std::uint16_t slot, const HostPort& node) const
{
  std::lock_guard<std::mutex> lock(m_mutex);
  SlotMap patched = m_map ? *m_map : make_slot_map({});
  const std::string address = node_address(node);
  auto known = std::find_if(patched.masters.begin(), patched.masters.end(), [&](const HostPort& m) {
    return node_address(m) == address;
  });
  if (known == patched.masters.end()) {
    patched.masters.push_back(node);
    patched.replicas.emplace_back();
    known = patched.masters.end() - 1;
  }
  patched.owner[slot] = static_cast<std::int16_t>(known - patched.masters.begin());
  m_nodes[address].address = address;
  m_map = std::make_shared<const SlotMap>(std::move(patched));
  m_stale = true; // the next refresh() past the interval asks for the whole picture
}

void
ClusterTopology::mark_stale() const
{
  std::lock_guard<std::mutex> lock(m_mutex);
  m_stale = true;
}

void
ClusterTopology::record(const std::string& node, const NodeCounts& counts) const
{
  std::lock_guard<std::mutex> lock(m_mutex);
  NodeFacts& facts = m_nodes[node];
  facts.address = node;
  facts.written += counts.written;
  facts.failed += counts.failed;
  facts.moved += counts.moved;
  facts.ask += counts.ask;
}

std::vector<NodeFacts>
ClusterTopology::facts() const
{
  std::lock_guard<std::mutex> lock(m_mutex);
  std::vector<NodeFacts> nodes;
  for (const auto& [address, node] : m_nodes) {
    NodeFacts facts = node;
    facts.slots = 0;
    if (m_map) {
      for (std::size_t i = 0; i < m_map->masters.size(); ++i) {
        if (node_address(m_map->masters[i]) == address) {
          facts.slots = static_cast<std::uint64_t>(
              std::count(m_map->owner.begin(), m_map->owner.end(), static_cast<std::int16_t>(i)));
        }
      }
    }
    nodes.push_back(std::move(facts));
  }
  return nodes;
}

} // namespace cachewarm::sinks
