#pragma once

#include "cachewarm/core/clock.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>

namespace cachewarm::core {

// A token bucket shared by every worker writing to one target. Thread-safe.
// Tokens accrue continuously at `per_second`; the bucket holds at most `burst` tokens
// (default: what accrues in 50 ms, at least 1), and starts full.
class RateLimiter {
public:
  // `per_second` <= 0 means unlimited (reserve always returns zero wait).
  RateLimiter(double per_second, const core::Clock& clock, double burst = 0.0);

  // Takes `tokens` tokens, going into debt if needed, and returns how long the caller must wait
  // before using them (zero when they were available). Callers sleep outside the lock, so
  // concurrent workers queue up fairly and the long-run rate is exact.
  std::chrono::nanoseconds reserve(std::uint64_t tokens);

  double per_second() const { return m_per_second; }

private:
  const double m_per_second;
  const double m_burst;
  const core::Clock& m_clock;
  std::mutex m_mutex;
  double m_tokens;
  std::chrono::steady_clock::time_point m_last;
};

} // namespace cachewarm::core
