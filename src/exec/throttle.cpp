#include "cachewarm/exec/throttle.hpp"

#include "cachewarm/core/log.hpp"

#include <algorithm>
#include <utility>

namespace cachewarm::exec {

namespace {

constexpr double k_start_rate = 5000.0; // keys/s before the first judgement
constexpr double k_step = 2000.0;       // keys/s added per healthy interval (8000/s per second)
constexpr std::chrono::milliseconds k_baseline_gap{5};
constexpr std::uint64_t k_min_probe_samples = 5; // fewer PINGs in an interval are not judged

std::chrono::nanoseconds
from_ms(double ms)
{
  return std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(ms * 1e6));
}

core::AdaptiveRateOptions
rate_options(const manifest::ThrottleSpec& spec, double ceiling)
{
  core::AdaptiveRateOptions options;
  options.min_rate = spec.min_rate.per_second;
  options.max_rate = ceiling;
  options.start_rate = ceiling > 0.0 ? std::min(k_start_rate, ceiling) : k_start_rate;
  options.step = k_step;
  options.max_latency = spec.max_latency;
  options.max_memory = spec.max_memory;
  return options;
}

} // namespace

Throttle::Throttle(sinks::Sink& sink,
                   const manifest::ThrottleSpec& spec,
                   double ceiling,
                   core::RateLimiter& limiter)
    : m_where("target " + sink.name())
    , m_limiter(limiter)
    , m_rate(rate_options(spec, ceiling))
{
  core::Result<std::unique_ptr<sinks::HealthProbe>> probe = sink.probe();
  if (probe) {
    m_probe = std::move(*probe);
  } else {
    core::log(core::LogLevel::warning,
              probe.error().message + "; throttling on write round trips alone");
  }
  measure_baseline();
  m_limiter.set_rate(m_rate.rate());
  m_thread = std::thread([this] { control(); });
}

Throttle::~Throttle()
{
  finish();
}

void
Throttle::measure_baseline()
{
  if (!m_probe) {
    return;
  }
  core::LatencyHistogram idle;
  for (int i = 0; i < k_baseline_pings; ++i) {
    core::Result<std::chrono::nanoseconds> rtt = m_probe->ping();
    if (!rtt) {
      core::log(core::LogLevel::warning,
                rtt.error().message + "; throttling on write round trips alone");
      m_probe.reset();
      return;
    }
    idle.record(*rtt);
    std::this_thread::sleep_for(k_baseline_gap);
  }
  m_probe_idle_ms = idle.quantile_ms(0.90);
  m_rate.set_baseline(from_ms(m_probe_idle_ms));
  if (core::Result<sinks::TargetStats> stats = m_probe->stats()) {
    m_evicted = stats->evicted_keys;
  }
}

void
Throttle::record_write(std::chrono::nanoseconds latency)
{
  const std::lock_guard lock(m_writes_mutex);
  m_writes_interval.record(latency);
}

void
Throttle::judge_interval()
{
  core::HealthSample sample;
  {
    const std::lock_guard lock(m_writes_mutex);
    if (m_writes_interval.count() > 0) {
      sample.write_latency = from_ms(m_writes_interval.quantile_ms(0.90));
    }
    m_writes_interval = core::LatencyHistogram();
  }
  if (m_probes_interval.count() >= k_min_probe_samples) {
    sample.probe_latency = from_ms(m_probes_interval.quantile_ms(0.90));
  }
  m_probes_interval = core::LatencyHistogram();
  if (m_probe) {
    core::Result<sinks::TargetStats> stats = m_probe->stats();
    if (stats) {
      if (stats->maxmemory > 0) {
        sample.memory_fraction =
            static_cast<double>(stats->used_memory) / static_cast<double>(stats->maxmemory);
      }
      if (m_evicted && stats->evicted_keys > *m_evicted) {
        sample.evicted = stats->evicted_keys - *m_evicted;
      }
      m_evicted = stats->evicted_keys;
    } else {
      core::log(core::LogLevel::warning,
                stats.error().message + "; throttling on write round trips alone");
      m_probe.reset();
    }
  }
  const core::Strain strain = m_rate.update(sample);
  m_limiter.set_rate(m_rate.rate());
  if (strain != core::Strain::none) {
    core::log(core::LogLevel::debug,
              m_where + ": throttle backs off (" + std::string(core::to_string(strain)) + ") to "
                  + std::to_string(static_cast<long long>(m_rate.rate())) + " keys/s");
  }
}

void
Throttle::control()
{
  auto next_judgement = std::chrono::steady_clock::now() + k_interval;
  std::unique_lock lock(m_stop_mutex);
  while (!m_stop_signal.wait_for(lock, k_probe_every, [this] { return m_stop; })) {
    lock.unlock();
    if (m_probe) {
      core::Result<std::chrono::nanoseconds> rtt = m_probe->ping();
      if (rtt) {
        m_probes_interval.record(*rtt);
        m_probes_all.record(*rtt);
      } else {
        core::log(core::LogLevel::warning,
                  rtt.error().message + "; throttling on write round trips alone");
        m_probe.reset();
      }
    }
    if (std::chrono::steady_clock::now() >= next_judgement) {
      judge_interval();
      next_judgement += k_interval;
    }
    lock.lock();
  }
}

report::ThrottleReport
Throttle::finish()
{
  {
    const std::lock_guard lock(m_stop_mutex);
    m_stop = true;
  }
  m_stop_signal.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
  report::ThrottleReport report;
  report.final_rate = m_rate.rate();
  report.min_rate = m_rate.lowest();
  report.max_rate = m_rate.highest();
  report.probe_idle_ms = m_probe_idle_ms;
  if (const std::optional<std::chrono::nanoseconds> limit = m_rate.probe_limit()) {
    report.probe_limit_ms = static_cast<double>(limit->count()) / 1e6;
  }
  report.probe_ms = {m_probes_all.quantile_ms(0.50),
                     m_probes_all.quantile_ms(0.95),
                     m_probes_all.quantile_ms(0.99)};
  report.backoffs_latency = m_rate.count(core::Strain::latency);
  report.backoffs_probe = m_rate.count(core::Strain::probe);
  report.backoffs_memory = m_rate.count(core::Strain::memory);
  report.backoffs_evictions = m_rate.count(core::Strain::evictions);
  report.intervals = report.backoffs_latency + report.backoffs_probe + report.backoffs_memory
                     + report.backoffs_evictions + m_rate.count(core::Strain::none);
  return report;
}

} // namespace cachewarm::exec
