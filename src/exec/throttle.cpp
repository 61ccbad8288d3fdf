#include "cachewarm/exec/throttle.hpp"

#include "cachewarm/core/log.hpp"

#include <algorithm>
#include <utility>

namespace cachewarm::exec {

namespace {

constexpr double k_start_rate = 5000.0; // keys/s before the first judgement
constexpr double k_step = 2000.0;       // keys/s added per healthy interval (8000/s per second)
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
                   core::RateLimiter& limiter,
                   const ThrottleTiming& timing)
    : m_timing(timing)
    , m_where("target " + sink.name())
    , m_limiter(limiter)
    , m_rate(rate_options(spec, ceiling))
{
  core::Result<std::unique_ptr<sinks::HealthProbe>> probe = sink.probe();
  if (probe) {
    m_probe = std::move(*probe);
  } else {
    drop_probe(probe.error().message);
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
Throttle::drop_probe(const std::string& why)
{
  core::log(core::LogLevel::warning, why + "; throttling on write round trips alone");
  m_probe.reset();
}

void
Throttle::measure_baseline()
{
  if (!m_probe) {
    return;
  }
  core::LatencyHistogram idle;
  for (int i = 0; i < m_timing.baseline_pings; ++i) {
    core::Result<std::chrono::nanoseconds> rtt = m_probe->ping();
    if (!rtt) {
      drop_probe(rtt.error().message);
      return;
    }
    idle.record(*rtt);
    std::this_thread::sleep_for(m_timing.baseline_gap);
  }
  m_probe_idle_ms = idle.quantile_ms(0.90);
  m_rate.set_baseline(from_ms(m_probe_idle_ms));
  m_baselined_at = std::chrono::steady_clock::now();
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
Throttle::wait_if_paused() const
{
  const std::int64_t resume_at = m_resume_at.load();
  if (resume_at == 0) {
    return;
  }
  const auto until = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(resume_at));
  std::this_thread::sleep_until(until);
}

void
Throttle::end_pause()
{
  m_resume_at.store(0);
  if (m_probes_paused.count() >= k_min_probe_samples) {
    m_probe_idle_ms = m_probes_paused.quantile_ms(0.90);
    m_rate.set_baseline(from_ms(m_probe_idle_ms));
    ++m_rebaselines;
  }
  m_probes_paused = core::LatencyHistogram();
  m_probes_interval = core::LatencyHistogram();
  {
    const std::lock_guard lock(m_writes_mutex);
    m_writes_interval = core::LatencyHistogram();
  }
  m_baselined_at = std::chrono::steady_clock::now();
  m_probe_backoffs_at_baseline = m_rate.count(core::Strain::probe);
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
      drop_probe(stats.error().message);
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
  using Clock = std::chrono::steady_clock;
  auto next_judgement = Clock::now() + m_timing.interval;
  bool paused = false; // writers are paused for a re-baseline since paused_at
  Clock::time_point paused_at{};
  std::unique_lock lock(m_stop_mutex);
  while (!m_stop_signal.wait_for(lock, m_timing.probe_every, [this] { return m_stop; })) {
    lock.unlock();
    const Clock::time_point now = Clock::now();
    if (m_probe) {
      core::Result<std::chrono::nanoseconds> rtt = m_probe->ping();
      if (!rtt) {
        drop_probe(rtt.error().message);
      } else if (paused) {
        if (now >= paused_at + m_timing.settle) { // in-flight writes have drained
          m_probes_paused.record(*rtt);
        }
      } else {
        m_probes_interval.record(*rtt);
        m_probes_all.record(*rtt);
      }
    }
    if (paused) {
      if (now >= paused_at + m_timing.pause) {
        end_pause();
        paused = false;
        next_judgement = Clock::now() + m_timing.interval;
      }
    } else if (now >= next_judgement) {
      judge_interval();
      next_judgement += m_timing.interval;
      // The probe held the rate back since the last baseline: is the server busier than then?
      const bool probe_bound = m_rate.count(core::Strain::probe) > m_probe_backoffs_at_baseline;
      if (m_probe && probe_bound && now >= m_baselined_at + m_timing.rebaseline_every) {
        paused = true;
        paused_at = now;
        m_resume_at.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              (now + m_timing.pause).time_since_epoch())
                              .count());
      }
    }
    lock.lock();
  }
  m_resume_at.store(0);
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
  report.rebaselines = m_rebaselines;
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
