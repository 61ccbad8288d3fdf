#include "cachewarm/exec/target_lane.hpp"

#include "cachewarm/core/log.hpp"

#include <pthread.h>
#include <sched.h>

#include <chrono>

namespace cachewarm::exec {

namespace {

using Clock = std::chrono::steady_clock;

// Throttled writes go in slices this small, so no single round trip holds the server (and
// the clients waiting behind it) for long: at most this many keys ...
constexpr std::size_t k_slice_keys = 8;
// ... and about this many bytes of keys and values.
constexpr std::uint64_t k_slice_bytes = 2 * 1024;

} // namespace

void
WorkerStats::merge(const WorkerStats& other)
{
  written += other.written;
  skipped += other.skipped;
  failed += other.failed;
  bytes += other.bytes;
  errors.merge(other.errors);
  latency.merge(other.latency);
}

TargetLane::TargetLane(TargetState& target,
                       const LaneSettings& settings,
                       const core::Clock& clock,
                       const RunOptions& options,
                       AckTracker& acks)
    : m_target(target)
    , m_acks(acks)
    , m_queue(settings.concurrency * 2)
    , m_limiter(settings.rate_per_second, clock)
    , m_options(options)
{
  std::size_t workers = settings.concurrency;
  if (settings.throttle) {
    // Before any worker writes: the probe's idle baseline must not include our own traffic.
    m_throttle = std::make_unique<Throttle>(
        *target.sink, *settings.throttle, settings.rate_per_second, m_limiter);
    workers = 1; // one slice in flight at a time: the gentlest way to write
  }
  m_stats.resize(workers);
  for (std::size_t i = 0; i < workers; ++i) {
    m_workers.emplace_back([this, i] { work(m_stats[i]); });
  }
}

WorkerStats
TargetLane::finish()
{
  m_queue.close();
  for (std::jthread& worker : m_workers) {
    worker.join();
  }
  WorkerStats total;
  for (const WorkerStats& stats : m_stats) {
    total.merge(stats);
  }
  if (m_dead.load()) {
    std::lock_guard lock(m_error_mutex);
    m_target.unreachable = m_error;
  }
  if (m_throttle) {
    m_throttle_report = m_throttle->finish();
  }
  return total;
}

void
TargetLane::mark_dead(const std::string& error)
{
  std::lock_guard lock(m_error_mutex);
  if (m_error.empty()) {
    m_error = error;
    // Logged now, while the run goes on; the report's `error` repeats it at the end.
    core::log(core::LogLevel::error, error);
  }
  m_dead.store(true);
}

void
TargetLane::count_unreachable(WorkerStats& stats, std::uint64_t keys, const std::string& sample_key)
{
  std::string error;
  {
    std::lock_guard lock(m_error_mutex);
    error = m_error;
  }
  if (keys == 0) {
    return;
  }
  stats.failed += keys;
  stats.errors.add("target_unreachable", keys, sample_key + ": " + error);
  bump_progress(keys);
}

void
TargetLane::bump_progress(std::uint64_t keys)
{
  if (m_options.progress != nullptr) {
    m_options.progress->done.fetch_add(keys, std::memory_order_relaxed);
  }
}

void
TargetLane::work(WorkerStats& stats)
{
  if (m_throttle) {
    // A throttled writer uses spare CPU only, so on a host it shares with the server or the
    // server's clients it never delays them (the probe thread keeps its normal priority, so it
    // still measures what they see).
    const sched_param idle{};
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) != 0) {
      core::log(core::LogLevel::debug, "could not lower the writer's CPU priority");
    }
  }
  std::unique_ptr<sinks::SinkConnection> connection;
  if (!m_dead.load()) {
    core::Result<std::unique_ptr<sinks::SinkConnection>> opened = m_target.sink->connect();
    if (opened) {
      connection = std::move(*opened);
    } else {
      mark_dead(opened.error().message);
    }
  }
  while (std::optional<Batch> batch = m_queue.pop()) {
    const std::vector<core::Entry>& entries = *batch->entries;
    if (m_options.stopping()) {
      continue; // not started: not counted (the report covers what was attempted)
    }
    if (m_dead.load() || !connection) {
      count_unreachable(stats, entries.size(), entries.front().key);
      continue;
    }
    if (write_batch(*connection, entries, stats)) {
      // The server answered for every entry (written, skipped or refused): the batch is done.
      m_acks.ack(batch->seq);
    }
  }
}

// Where the slice of `entries` starting at `first` ends: the whole batch unthrottled, else at
// most k_slice_keys keys and (past the first key) k_slice_bytes bytes.
std::size_t
TargetLane::slice_end(const std::vector<core::Entry>& entries, std::size_t first) const
{
  if (!m_throttle) {
    return entries.size();
  }
  std::size_t end = first;
  std::uint64_t bytes = 0;
  while (end < entries.size() && end - first < k_slice_keys
         && (end == first || bytes < k_slice_bytes)) {
    bytes += entries[end].key.size() + core::value_size(entries[end].value);
    ++end;
  }
  return end;
}

// Writes one batch (in slices when throttled) under the rate limit. False when it did not
// finish: the target became unreachable (the rest counted as such) or the run is stopping.
bool
TargetLane::write_batch(sinks::SinkConnection& connection,
                        const std::vector<core::Entry>& entries,
                        WorkerStats& stats)
{
  for (std::size_t first = 0; first < entries.size();) {
    const std::size_t end = slice_end(entries, first);
    const std::span<const core::Entry> slice(entries.data() + first, end - first);
    if (m_throttle) {
      m_throttle->wait_if_paused();
    }
    const std::chrono::nanoseconds wait = m_limiter.reserve(slice.size());
    if (wait.count() > 0) {
      std::this_thread::sleep_for(wait);
    }
    if (m_options.stopping()) {
      return false; // the rest of the batch was not started: not counted
    }
    const Clock::time_point started = Clock::now();
    core::Result<sinks::BatchResult> result = connection.write(slice);
    if (!result) {
      sinks::BatchResult nothing; // the sink could say nothing about the batch
      nothing.stopped = std::move(result.error());
      result = std::move(nothing);
    }
    const std::chrono::nanoseconds took = Clock::now() - started;
    stats.latency.record(took);
    if (m_throttle) {
      m_throttle->record_write(took);
    }
    stats.written += result->written;
    stats.skipped += result->skipped;
    stats.bytes += result->bytes;
    stats.failed += result->failures.size();
    for (const core::Failure& failure : result->failures) {
      stats.errors.add(failure);
    }
    bump_progress(result->counted());
    if (result->stopped) {
      if (result->stopped->code != core::Errc::interrupted) {
        // What the target did not acknowledge, and the rest of the batch, fail as unreachable.
        mark_dead(result->stopped->message);
        const std::uint64_t rest = (slice.size() - result->counted()) + (entries.size() - end);
        count_unreachable(stats, rest, entries[first].key);
      }
      return false; // interrupted: what was not acknowledged is not counted
    }
    first = end;
  }
  return true;
}

} // namespace cachewarm::exec
