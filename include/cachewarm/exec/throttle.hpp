#pragma once

#include "cachewarm/core/adaptive_rate.hpp"
#include "cachewarm/core/histogram.hpp"
#include "cachewarm/core/rate_limiter.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/report/report.hpp"
#include "cachewarm/sinks/sink.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace cachewarm::exec {

// Adaptive throttling of the writes to one target (`rate: auto`, `throttle:`): a thread that
// PINGs the target on a probe connection of its own every 10 ms and reads INFO every control
// interval (250 ms), judges the interval with core::AdaptiveRate (the workers' write round trips,
// the probe latency against its idle baseline, used_memory against maxmemory, evictions) and
// sets the lane's rate limiter to the resulting rate.
class Throttle {
public:
  static constexpr std::chrono::milliseconds k_probe_every{10};
  static constexpr std::chrono::milliseconds k_interval{250};
  static constexpr int k_baseline_pings = 30;

  // Opens the probe, measures the idle probe latency (k_baseline_pings PINGs 5 ms apart, before
  // any write), sets the limiter to the start rate and starts the control thread. `ceiling` is
  // the group's numeric rate (0: none). Without a probe (a dry run, or the probe connection
  // failed: logged) only the write round trips are judged.
  Throttle(sinks::Sink& sink,
           const manifest::ThrottleSpec& spec,
           double ceiling,
           core::RateLimiter& limiter);
  ~Throttle();

  Throttle(const Throttle&) = delete;
  Throttle& operator=(const Throttle&) = delete;

  // A worker's write round trip; thread-safe.
  void record_write(std::chrono::nanoseconds latency);

  // Stops the control thread (idempotent) and reports what it did.
  report::ThrottleReport finish();

private:
  void measure_baseline();
  void control();
  void judge_interval();

  std::string m_where;
  core::RateLimiter& m_limiter;
  core::AdaptiveRate m_rate;
  std::unique_ptr<sinks::HealthProbe> m_probe;
  std::optional<std::uint64_t> m_evicted; // evicted_keys at the last INFO
  double m_probe_idle_ms = 0.0;
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
