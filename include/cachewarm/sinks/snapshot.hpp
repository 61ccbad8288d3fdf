#pragma once

// The live hot set of a Redis target (`cachewarm snapshot`): its hottest keys, found with SCAN
// and OBJECT FREQ (LFU policies) or OBJECT IDLETIME (others), with their TTLs and optionally
// their values (DUMP).

#include "cachewarm/core/result.hpp"
#include "cachewarm/sinks/redis.hpp"
#include "cachewarm/sources/snapshot.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cachewarm::sinks {

struct SnapshotOptions {
  std::size_t top = 1000;   // keys kept (the hottest)
  std::uint64_t sample = 0; // stop after examining this many keys; 0: scan them all
  std::string match;        // SCAN MATCH pattern; empty: every key
  bool values = false;      // DUMP the kept keys
  double rate = 20000;      // keys examined (and kept keys read) per second; <= 0: unlimited
  std::size_t page = 100;   // SCAN COUNT
  // Called after every page with the keys examined so far and DBSIZE (summed over masters).
  std::function<void(std::uint64_t examined, std::uint64_t total)> progress;
};

struct SnapshotResult {
  std::string server;           // the target's URL, password redacted
  std::string ranked_by;        // "lfu_freq" or "idle_time"
  std::string maxmemory_policy; // as INFO reports it
  std::uint64_t keys_in_db = 0; // DBSIZE when the scan began (summed over a cluster's masters)
  std::uint64_t examined = 0;
  std::uint64_t vanished = 0; // kept keys gone (deleted, expired) before their TTL was read
  bool sampled = false;       // stopped at `sample` before the scan's end
  std::vector<sources::SnapshotKey> keys; // hottest first
};

// Scans the target of `options` (plain, TLS, Sentinel's master or every master of a cluster)
// with SCAN, never KEYS, one page at a time, asking each page's keys for their OBJECT FREQ
// (maxmemory-policy allkeys-lfu or volatile-lfu: higher is hotter) or OBJECT IDLETIME (lower is
// hotter) in one pipeline, at most `rate` keys per second. Keeps the `top` hottest: memory is
// bounded by `top` keys (and their values), whatever the database size. Then reads the kept
// keys' PTTL (and DUMP) in pipelines of `page`.
// Errors: Errc::target_unreachable (connect, a lost connection, an error reply to SCAN, OBJECT
// or DUMP, with the server's message); Errc::interrupted when `options.stop` is set.
core::Result<SnapshotResult> take_snapshot(const RedisOptions& options,
                                           const SnapshotOptions& snapshot);

} // namespace cachewarm::sinks
