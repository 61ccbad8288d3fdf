#include "cachewarm/core/adaptive_rate.hpp"

#include <algorithm>

namespace cachewarm::core {

std::string_view
to_string(Strain strain)
{
  switch (strain) {
  case Strain::none:
    return "none";
  case Strain::latency:
    return "latency";
  case Strain::probe:
    return "probe";
  case Strain::memory:
    return "memory";
  case Strain::evictions:
    return "evictions";
  }
  return "none";
}

namespace {

double
clamp_rate(double rate, const AdaptiveRateOptions& options)
{
  double clamped = std::max(rate, options.min_rate);
  if (options.max_rate > 0.0) {
    clamped = std::min(clamped, std::max(options.max_rate, options.min_rate));
  }
  return clamped;
}

} // namespace

AdaptiveRate::AdaptiveRate(const AdaptiveRateOptions& options)
    : m_options(options)
    , m_rate(clamp_rate(options.start_rate, options))
    , m_lowest(m_rate)
    , m_highest(m_rate)
{}

void
AdaptiveRate::set_baseline(std::chrono::nanoseconds idle_probe)
{
  const auto scaled = std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(
      static_cast<double>(idle_probe.count()) * m_options.probe_factor));
  m_probe_limit = std::max(scaled, m_options.probe_floor);
}

Strain
AdaptiveRate::judge(const HealthSample& sample) const
{
  if (sample.evicted > 0) {
    return Strain::evictions;
  }
  if (sample.memory_fraction && *sample.memory_fraction > m_options.max_memory) {
    return Strain::memory;
  }
  if (sample.write_latency && *sample.write_latency > m_options.max_latency) {
    return Strain::latency;
  }
  if (m_probe_limit && sample.probe_latency && *sample.probe_latency > *m_probe_limit) {
    return Strain::probe;
  }
  return Strain::none;
}

Strain
AdaptiveRate::update(const HealthSample& sample)
{
  const Strain strain = judge(sample);
  ++m_counts[static_cast<std::size_t>(strain)];
  if (strain != Strain::none) {
    m_rate = clamp_rate(m_rate * m_options.backoff, m_options);
    m_hold = m_options.hold_intervals;
  } else if (m_hold > 0) {
    --m_hold;
  } else {
    m_rate = clamp_rate(m_rate + m_options.step, m_options);
  }
  m_lowest = std::min(m_lowest, m_rate);
  m_highest = std::max(m_highest, m_rate);
  return strain;
}

} // namespace cachewarm::core
