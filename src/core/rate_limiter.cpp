#include "cachewarm/core/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace cachewarm::core {

namespace {

// What accrues in this long is the default burst: short enough to keep the rate smooth, long
// enough that a worker's batch rarely waits on an idle limiter.
constexpr double k_default_burst_seconds = 0.05;
constexpr double k_nanoseconds_per_second = 1e9;
// Waits are capped (about 31 years) so an absurd debt cannot overflow the nanosecond count.
constexpr double k_max_wait_ns = 1e18;

double
effective_burst(double per_second, double burst)
{
  if (burst > 0.0) {
    return burst;
  }
  return std::max(1.0, per_second * k_default_burst_seconds);
}

} // namespace

RateLimiter::RateLimiter(double per_second, const core::Clock& clock, double burst)
    : m_per_second(per_second)
    , m_fixed_burst(burst)
    , m_burst(effective_burst(per_second, burst))
    , m_clock(clock)
    , m_tokens(m_burst)
    , m_last(clock.now())
{}

void
RateLimiter::refill_locked(std::chrono::steady_clock::time_point now)
{
  if (now > m_last) {
    const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - m_last);
    if (m_per_second > 0.0) {
      const double accrued =
          static_cast<double>(elapsed.count()) / k_nanoseconds_per_second * m_per_second;
      m_tokens = std::min(m_burst, m_tokens + accrued);
    }
    m_last = now;
  }
}

void
RateLimiter::set_rate(double per_second)
{
  const std::lock_guard<std::mutex> lock(m_mutex);
  refill_locked(m_clock.now());
  const bool was_unlimited = !(m_per_second > 0.0);
  m_per_second = per_second;
  m_burst = effective_burst(per_second, m_fixed_burst);
  // Leaving unlimited starts afresh with a full bucket, as a new limiter does (no old debt).
  m_tokens = was_unlimited ? m_burst : std::min(m_tokens, m_burst);
}

double
RateLimiter::per_second() const
{
  const std::lock_guard<std::mutex> lock(m_mutex);
  return m_per_second;
}

std::chrono::nanoseconds
RateLimiter::reserve(std::uint64_t tokens)
{
  const std::lock_guard<std::mutex> lock(m_mutex);
  if (!(m_per_second > 0.0)) {
    return std::chrono::nanoseconds::zero();
  }
  // Read the clock under the lock so m_last only moves forward, whatever the thread interleaving.
  refill_locked(m_clock.now());
  m_tokens -= static_cast<double>(tokens);
  if (m_tokens >= 0.0) {
    return std::chrono::nanoseconds::zero();
  }
  // Round up: waking a nanosecond late keeps the long-run rate at or below the limit.
  const double wait_ns =
      std::min(k_max_wait_ns, std::ceil(-m_tokens * k_nanoseconds_per_second / m_per_second));
  return std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(wait_ns));
}

} // namespace cachewarm::core
