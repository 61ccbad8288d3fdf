#pragma once

#include <chrono>
#include <cstdint>

namespace cachewarm::core {

// Capped exponential backoff with full jitter: attempt n (0-based) waits a uniformly random time
// in [0, min(cap, base * factor^n)] ("full jitter"), drawn from a seeded generator so tests are
// repeatable.
class Backoff {
public:
  Backoff(std::chrono::milliseconds base,
          std::chrono::milliseconds cap,
          double factor = 2.0,
          std::uint64_t seed = 0x9e3779b97f4a7c15ULL);

  // The delay before the next attempt; increments the attempt counter.
  std::chrono::milliseconds next();

  // The ceiling of the jitter window for attempt `attempt` (no randomness).
  std::chrono::milliseconds ceiling(unsigned attempt) const;

  void reset() { m_attempt = 0; }
  unsigned attempt() const { return m_attempt; }

private:
  std::chrono::milliseconds m_base;
  std::chrono::milliseconds m_cap;
  double m_factor;
  std::uint64_t m_state;
  unsigned m_attempt = 0;
};

} // namespace cachewarm::core
