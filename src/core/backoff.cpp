#include "cachewarm/core/backoff.hpp"

#include "cachewarm/core/assert.hpp"

#include <cmath>
#include <limits>

namespace cachewarm::core {

namespace {

// splitmix64 (Steele, Lea, Flood 2014): one 64-bit state word, passes BigCrush, and any seed
// (including 0) gives a full-period sequence.
std::uint64_t
splitmix64(std::uint64_t& state)
{
  state += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

// A uniform double in [0, 1) from the top 53 bits (the mantissa width).
double
unit_interval(std::uint64_t bits)
{
  constexpr double k_two_to_minus_53 = 0x1.0p-53;
  return static_cast<double>(bits >> 11U) * k_two_to_minus_53;
}

} // namespace

Backoff::Backoff(std::chrono::milliseconds base,
                 std::chrono::milliseconds cap,
                 double factor,
                 std::uint64_t seed)
    : m_base(base)
    , m_cap(cap)
    , m_factor(factor)
    , m_state(seed)
{
  // Callers pass validated settings; anything else is a programming error.
  CW_ASSERT(base.count() >= 0);
  CW_ASSERT(cap.count() >= 0);
  CW_ASSERT(factor >= 1.0); // also rejects NaN
}

std::chrono::milliseconds
Backoff::ceiling(unsigned attempt) const
{
  if (m_base >= m_cap) {
    return m_cap;
  }
  // In double, factor^attempt saturates to +inf instead of overflowing, and the comparison below
  // then picks the cap.
  const double ceiling_ms =
      static_cast<double>(m_base.count()) * std::pow(m_factor, static_cast<double>(attempt));
  if (!(ceiling_ms < static_cast<double>(m_cap.count()))) {
    return m_cap;
  }
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(ceiling_ms));
}

std::chrono::milliseconds
Backoff::next()
{
  const std::chrono::milliseconds::rep window = ceiling(m_attempt).count();
  if (m_attempt < std::numeric_limits<unsigned>::max()) {
    ++m_attempt;
  }
  // Full jitter: uniform over the whole window [0, ceiling], both ends included.
  // Compare in double before converting: near milliseconds::max() the product can round above
  // what the integer type holds.
  const double draw = unit_interval(splitmix64(m_state)) * (static_cast<double>(window) + 1.0);
  if (draw >= static_cast<double>(window)) {
    return std::chrono::milliseconds(window);
  }
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(draw));
}

} // namespace cachewarm::core
