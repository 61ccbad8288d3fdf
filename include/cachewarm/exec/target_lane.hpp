#pragma once

#include "cachewarm/core/clock.hpp"
#include "cachewarm/core/histogram.hpp"
#include "cachewarm/core/rate_limiter.hpp"
#include "cachewarm/core/types.hpp"
#include "cachewarm/exec/ack_tracker.hpp"
#include "cachewarm/exec/bounded_queue.hpp"
#include "cachewarm/exec/run_options.hpp"
#include "cachewarm/exec/throttle.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/report/report.hpp"
#include "cachewarm/sinks/sink.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace cachewarm::exec {

// A target as a run sees it: its sink, and whether it is still reachable.
struct TargetState {
  const manifest::TargetSpec* spec = nullptr;
  std::unique_ptr<sinks::Sink> sink;
  std::string unreachable; // non-empty once the target is known to be down (the reason)
};

// A batch of entries shared by every target's queue; `seq` numbers it within its group.
struct Batch {
  std::shared_ptr<const std::vector<core::Entry>> entries;
  std::uint64_t seq = 0;
};

// What the workers of one lane did, merged after they were joined.
struct WorkerStats {
  std::uint64_t written = 0;
  std::uint64_t skipped = 0;
  std::uint64_t failed = 0;
  std::uint64_t bytes = 0;
  report::ErrorTally errors;
  core::LatencyHistogram latency;

  // Adds `other`'s counts, errors and latencies to these.
  void merge(const WorkerStats& other);
};

// How one lane writes: the group's settings for this target.
struct LaneSettings {
  std::size_t concurrency = 1;                    // workers (one when throttled)
  double rate_per_second = 0.0;                   // 0: unlimited
  std::optional<manifest::ThrottleSpec> throttle; // adaptive throttling
};

// The writers of one group to one target: a bounded queue of batches drained by `concurrency`
// workers (one when throttled), each owning its connection and its stats (merged by finish()).
// A batch the target answered for entirely (written, skipped or refused per key) is acked to
// `acks`; a batch cut short by the target becoming unreachable counts its rest as failed
// (`target_unreachable`); a batch not started because the run is stopping is not counted.
class TargetLane {
public:
  // Starts the workers (and the throttle's probe, before any write). `target`, `clock`,
  // `options` and `acks` must outlive the lane.
  TargetLane(TargetState& target,
             const LaneSettings& settings,
             const core::Clock& clock,
             const RunOptions& options,
             AckTracker& acks);

  TargetLane(const TargetLane&) = delete;
  TargetLane& operator=(const TargetLane&) = delete;

  // False once the target became unreachable: the producer may stop feeding it.
  bool alive() const { return !m_dead.load(); }

  // Queues `batch`; blocks while the queue is full (back-pressure).
  void push(const Batch& batch) { m_queue.push(batch); }

  // Closes the queue, waits for the workers and returns the merged stats. If the target became
  // unreachable, records why in the target's `unreachable`.
  WorkerStats finish();

  // After finish(): what adaptive throttling did (lanes with a throttle only).
  const std::optional<report::ThrottleReport>& throttle_report() const { return m_throttle_report; }

private:
  void mark_dead(const std::string& error);
  // Counts `keys` keys as failed with kind target_unreachable (the lane's error as the message).
  void count_unreachable(WorkerStats& stats, std::uint64_t keys, const std::string& sample_key);
  void bump_progress(std::uint64_t keys);
  void work(WorkerStats& stats);
  std::size_t slice_end(const std::vector<core::Entry>& entries, std::size_t first) const;
  bool write_batch(sinks::SinkConnection& connection,
                   const std::vector<core::Entry>& entries,
                   WorkerStats& stats);

  TargetState& m_target;
  AckTracker& m_acks;
  BoundedQueue<Batch> m_queue;
  core::RateLimiter m_limiter;
  std::vector<WorkerStats> m_stats;
  const RunOptions& m_options;
  std::atomic<bool> m_dead{false};
  std::mutex m_error_mutex;
  std::string m_error;
  std::unique_ptr<Throttle> m_throttle; // lanes with `rate: auto` or `throttle:`
  std::optional<report::ThrottleReport> m_throttle_report;
  std::vector<std::jthread> m_workers; // last: joined before the members above go away
};

} // namespace cachewarm::exec
