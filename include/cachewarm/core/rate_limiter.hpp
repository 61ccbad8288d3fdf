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

  // Changes the rate (adaptive throttling) from now on: tokens accrued so far at the old rate are
  // kept (capped at the new burst), a debt is paid off at the new rate; coming from unlimited,
  // the bucket starts full. `per_second` <= 0 makes
  // it unlimited. The burst becomes what accrues in 50 ms at the new rate (or the constructor's
  // explicit burst).
  void set_rate(double per_second);

  double per_second() const;

private:
  // Accrues tokens up to `now` at the current rate; m_mutex held.
  void refill_locked(std::chrono::steady_clock::time_point now);

  double m_per_second;
  const double m_fixed_burst; // the constructor's `burst` (0: derived from the rate)
  double m_burst;
  const core::Clock& m_clock;
  mutable std::mutex m_mutex;
  double m_tokens;
  std::chrono::steady_clock::time_point m_last;
};

} // namespace cachewarm::core
