#pragma once

#include "cachewarm/core/adaptive_rate.hpp"
#include "cachewarm/core/histogram.hpp"
#include "cachewarm/core/rate_limiter.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/report/report.hpp"
#include "cachewarm/sinks/sink.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace cachewarm::exec {

// Adaptive throttling of the writes to one target (`rate: auto`, `throttle:`): a thread that
// PINGs the target on a probe connection of its own every 10 ms and reads INFO every control
// interval (250 ms), judges the interval with core::AdaptiveRate (the workers' write round trips,
// the probe latency against its idle baseline, used_memory against maxmemory, evictions) and
// sets the lane's rate limiter to the resulting rate. Live traffic changes while a long warm runs
// (it grows toward a peak), so when the probe has held the rate back, the idle baseline is
// measured again every `rebaseline_every`: writers pause for `pause` and the PINGs of its last
// part (after `settle`) become the new baseline.
struct ThrottleTiming {
  std::chrono::milliseconds probe_every{10};
  std::chrono::milliseconds interval{250};
  int baseline_pings = 30;
  std::chrono::milliseconds baseline_gap{5};
  std::chrono::milliseconds rebaseline_every{10000};
  std::chrono::milliseconds pause{400};
  std::chrono::milliseconds settle{100};
};

class Throttle {
public:
  // Opens the probe, measures the idle probe latency (baseline_pings PINGs, before any write), sets
  // the limiter to the start rate and starts the control thread. `ceiling` is the group's numeric
  // rate (0: none). Without a probe (a dry run, or the probe connection failed: logged) only the
  // write round trips are judged.
  Throttle(sinks::Sink& sink,
           const manifest::ThrottleSpec& spec,
           double ceiling,
           core::RateLimiter& limiter,
           const ThrottleTiming& timing = {});
  ~Throttle();

  Throttle(const Throttle&) = delete;
  Throttle& operator=(const Throttle&) = delete;

  // A worker's write round trip; thread-safe.
  void record_write(std::chrono::nanoseconds latency);

  // Called by a worker before each write: sleeps while writers are paused for a re-baseline.
  void wait_if_paused() const;

  // Stops the control thread (idempotent) and reports what it did.
  report::ThrottleReport finish();

private:
  // Gives up on the probe after an error (logged): only write round trips are judged from then on.
  void drop_probe(const std::string& why);
  void measure_baseline();
  void control();
  void judge_interval();
  // Takes the PINGs of a finished pause as the new idle baseline.
  void end_pause();

  ThrottleTiming m_timing;
  std::string m_where;
  core::RateLimiter& m_limiter;
  core::AdaptiveRate m_rate;
  std::unique_ptr<sinks::HealthProbe> m_probe;
  std::optional<std::uint64_t> m_evicted; // evicted_keys at the last INFO
  double m_probe_idle_ms = 0.0;
  std::uint64_t m_rebaselines = 0;
  std::uint64_t m_probe_backoffs_at_baseline = 0;
  std::chrono::steady_clock::time_point m_baselined_at;
  // While writers pause: steady_clock nanoseconds when they resume (0: not paused).
  std::atomic<std::int64_t> m_resume_at{0};
  core::LatencyHistogram m_probes_paused;   // control thread only
  core::LatencyHistogram m_probes_all;      // control thread only
  core::LatencyHistogram m_probes_interval; // control thread only
  std::mutex m_writes_mutex;
  core::LatencyHistogram m_writes_interval; // guarded by m_writes_mutex
  std::mutex m_stop_mutex;
  std::condition_variable m_stop_signal;
  bool m_stop = false; // guarded by m_stop_mutex
  std::thread m_thread;
};

} // namespace cachewarm::exec
