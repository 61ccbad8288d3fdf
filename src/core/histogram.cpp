#include "cachewarm/core/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cachewarm::core {

// Bucket layout: power p covers [2^p, 2^(p+1)) microseconds, split into k_sub_buckets equal
// sub-buckets, so a bucket's width is 1/32 of its lower bound (<= 3.2% relative error, half that
// when reporting the midpoint). Indexing works on nanoseconds so sub-microsecond detail still
// picks the right sub-bucket for small values.

namespace {

constexpr std::uint64_t k_ns_per_us = 1000;
constexpr double k_us_per_ms = 1000.0;

} // namespace

void
LatencyHistogram::record(std::chrono::nanoseconds latency)
{
  const std::uint64_t ns = latency.count() > 0 ? static_cast<std::uint64_t>(latency.count()) : 0;
  const std::uint64_t us = ns / k_ns_per_us;
  std::size_t index = 0;
  if (us == 0) {
    index = 0; // below the range: the first bucket
  } else {
    const auto power = static_cast<std::size_t>(std::bit_width(us) - 1);
    if (power >= k_powers) {
      index = m_buckets.size() - 1; // above the range: the last bucket
    } else {
      // ns < 2^32 * 1000 here, so multiplying by 32 cannot overflow.
      const std::uint64_t lower_ns = (std::uint64_t{1} << power) * k_ns_per_us;
      const std::uint64_t sub = (ns - lower_ns) * k_sub_buckets / lower_ns;
      index = power * k_sub_buckets + static_cast<std::size_t>(sub);
    }
  }
  ++m_buckets[index];
  ++m_count;
  m_max_us = std::max(m_max_us, us);
}

void
LatencyHistogram::merge(const LatencyHistogram& other)
{
  for (std::size_t i = 0; i < m_buckets.size(); ++i) {
    m_buckets[i] += other.m_buckets[i];
  }
  m_count += other.m_count;
  m_max_us = std::max(m_max_us, other.m_max_us);
}

double
LatencyHistogram::quantile_ms(double q) const
{
  if (m_count == 0) {
    return 0.0;
  }
  const double clamped = std::isnan(q) ? 0.0 : std::clamp(q, 0.0, 1.0);
  const double wanted = std::ceil(clamped * static_cast<double>(m_count));
  // The nearest-rank definition: the smallest sample with at least q * count samples at or below.
  const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted));
  std::uint64_t seen = 0;
  std::size_t index = 0;
  for (; index < m_buckets.size(); ++index) {
    seen += m_buckets[index];
    if (seen >= rank) {
      break;
    }
  }
  index = std::min(index, m_buckets.size() - 1);
  const std::size_t power = index / k_sub_buckets;
  const std::size_t sub = index % k_sub_buckets;
  const double lower_us = std::ldexp(1.0, static_cast<int>(power));
  const double width_us = lower_us / static_cast<double>(k_sub_buckets);
  const double middle_us = lower_us + (static_cast<double>(sub) + 0.5) * width_us;
  // The midpoint can overshoot the largest sample; the true value never does.
  return std::min(middle_us, static_cast<double>(m_max_us)) / k_us_per_ms;
}

double
LatencyHistogram::max_ms() const
{
  return static_cast<double>(m_max_us) / k_us_per_ms;
}

} // namespace cachewarm::core
