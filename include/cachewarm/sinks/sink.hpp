#pragma once

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/types.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cachewarm::sinks {

// What one batch did. Without `stopped`, every entry of the batch is exactly one of written,
// skipped or failed; with it, the entries not counted in those were not written (as far as
// anyone knows) and belong to the caller to count.
struct BatchResult {
  std::uint64_t written = 0;
  std::uint64_t skipped = 0;           // only_missing and the key existed
  std::uint64_t bytes = 0;             // key + value bytes of written entries
  std::vector<core::Failure> failures; // per-key failures (error replies), data not fatal
  // Why the batch ended early: Errc::target_unreachable (the destination stayed down, or kept
  // answering -LOADING/-BUSY/-MASTERDOWN/-TRYAGAIN, for the whole reconnect budget) or
  // Errc::interrupted (a stop request ended the wait for a fault to pass).
  std::optional<core::Error> stopped;

  // Entries counted above (written + skipped + failed).
  std::uint64_t counted() const { return written + skipped + failures.size(); }
};

// One connection to a destination, owned by one worker thread.
class SinkConnection {
public:
  virtual ~SinkConnection() = default;

  // Writes `batch` and reports each entry's outcome. Reconnects and resends internally when the
  // connection drops or the destination answers that it is busy (writes are idempotent), for
  // up to the reconnect budget; then (or at a stop request) it returns what was acknowledged so
  // far with `stopped` set. Never fails as a whole: the Result is kept for implementations that
  // cannot say anything about a batch (Errc::target_unreachable).
  virtual core::Result<BatchResult> write(std::span<const core::Entry> batch) = 0;

  // Deletes `keys` (a clean-up after the fact, e.g. a collection found to be partial) in one
  // round trip and returns how many of them existed. No retries. Errors:
  // Errc::target_unreachable when the connection fails.
  virtual core::Result<std::uint64_t> remove(std::span<const std::string> keys) = 0;
};

// The destination's own figures (for Redis: INFO), for throttling and the memory pre-flight.
struct TargetStats {
  std::uint64_t used_memory = 0;  // bytes
  std::uint64_t maxmemory = 0;    // bytes; 0: no limit
  std::string maxmemory_policy;   // noeviction, allkeys-lru, volatile-ttl, ...
  std::uint64_t evicted_keys = 0; // since the server started
  double instantaneous_ops_per_sec = 0.0;
};

// A side connection that watches a destination's health while workers write to it; owned by
// one thread.
class HealthProbe {
public:
  virtual ~HealthProbe() = default;

  // The round trip of the cheapest request (PING): what any client of the destination waits
  // right now. Errors: Errc::target_unreachable.
  virtual core::Result<std::chrono::nanoseconds> ping() = 0;

  // The destination's current figures. Errors: Errc::target_unreachable.
  virtual core::Result<TargetStats> stats() = 0;
};

// A cluster node (a master, now or before) and what was done on it so far.
struct NodeFacts {
  std::string address;         // `127.0.0.1:7000`
  std::uint64_t slots = 0;     // served now
  std::uint64_t written = 0;   // keys acknowledged
  std::uint64_t failed = 0;    // keys failed there
  std::uint64_t moved = 0;     // -MOVED replies it gave
  std::uint64_t ask = 0;       // -ASK replies it gave
  std::uint64_t failovers = 0; // times one of its replicas took its slots over
};

// What a destination says about how it was reached, for the report (a snapshot).
struct TargetFacts {
  std::optional<bool> tls_verify; // TLS targets: whether certificates are verified
  bool via_sentinel = false;
  // Sentinel targets: every master connected to so far, in order ("127.0.0.1:6380"); each
  // change of address after the first is a failover.
  std::vector<std::string> masters;
  bool cluster = false;
  std::vector<NodeFacts> nodes; // cluster targets, by address
};

// A destination of warmed entries (a Redis server; later a cluster or an HTTP edge).
// Stages before a sink only ever see this interface.
class Sink {
public:
  virtual ~Sink() = default;

  // The manifest's name for this destination (`main`).
  virtual const std::string& name() const = 0;

  // The address with any secret redacted, for messages (`redis://app:***@127.0.0.1:6379/0`).
  virtual std::string describe() const = 0;

  // Opens one connection for one worker; safe to call from several threads at once.
  // Errors: Errc::target_unreachable (refused, timed out, authentication or SELECT rejected).
  virtual core::Result<std::unique_ptr<SinkConnection>> connect() = 0;

  // Opens a health probe, or returns nullptr when this destination has none (a dry run).
  // Errors: Errc::target_unreachable.
  virtual core::Result<std::unique_ptr<HealthProbe>> probe() = 0;

  // How the destination was reached so far; safe to call from any thread.
  virtual TargetFacts facts() const { return {}; }
};

} // namespace cachewarm::sinks
