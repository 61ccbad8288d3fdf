#pragma once

// Redis Cluster's key space: the slot of a key (hash tags included) and the cluster's layout as
// CLUSTER SHARDS or CLUSTER SLOTS report it.

#include "cachewarm/core/result.hpp"
#include "cachewarm/sinks/redis_url.hpp"

#include <hiredis/hiredis.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::sinks {

constexpr std::uint16_t k_cluster_slots = 16384;

// CRC16/XMODEM of the key, or of its hash tag (the text between the first `{` and the next `}`
// when that is not empty), modulo 16384: the slot Redis Cluster stores `key` in.
std::uint16_t key_slot(std::string_view key);

struct SlotRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0; // inclusive
};

// One master and the slots it serves, with its replicas.
struct ClusterShard {
  HostPort master;
  std::vector<SlotRange> slots;
  std::vector<HostPort> replicas;
};

// Every shard that serves slots. Errors (Errc::target_unreachable): a reply of another shape.
// `tls`: the cluster is reached over TLS (CLUSTER SHARDS then names each node's tls-port).
core::Result<std::vector<ClusterShard>> parse_cluster_shards(const redisReply& reply, bool tls);
core::Result<std::vector<ClusterShard>> parse_cluster_slots(const redisReply& reply);

// `host:port` (`[v6]:port`): how nodes are named in messages, the report and MOVED replies.
std::string node_address(const HostPort& node);

// Parses `-MOVED 3999 127.0.0.1:6381` or `-ASK 3999 127.0.0.1:6381` (the text without `-`):
// the slot and the node; false for anything else. An empty host (`:6381`, a node that does not
// know its own address) stays empty: the caller keeps the host it asked.
struct Redirection {
  bool ask = false;
  std::uint16_t slot = 0;
  HostPort node;
};
bool parse_redirection(std::string_view error, Redirection& out);

} // namespace cachewarm::sinks
