#pragma once

#include "cachewarm/core/types.hpp"
#include "cachewarm/manifest/manifest.hpp"

#include <chrono>
#include <cstdint>
#include <random>

namespace cachewarm::exec {

// A group's write policy (ttl, ttl_jitter, only_missing), applied to each freshly resolved entry
// before it is queued. Owned by the group's producer thread (not thread-safe).
class WritePolicy {
public:
  // `ttl` 0 means no expiry. The jitter spreads each entry's TTL uniformly over
  // ttl ± (jitter.absolute + ttl × jitter.fraction), the spread clamped to ttl - 1 so that no
  // entry gets a TTL of 0 or less. `seed` makes the jitter repeatable in tests.
  WritePolicy(std::chrono::milliseconds ttl,
              manifest::Jitter jitter,
              bool only_missing,
              std::uint64_t seed);

  // Sets `entry`'s ttl and only_missing. A TTL that would overflow saturates at the int64
  // maximum (Redis then refuses the absurd expiry for that key alone). A restored value
  // (core::DumpValue) keeps the ttl it came with.
  void apply(core::Entry& entry);

  // The half-width of the jitter, in milliseconds (0: none).
  std::int64_t spread_ms() const { return m_spread; }

private:
  std::chrono::milliseconds m_ttl;
  bool m_only_missing;
  std::int64_t m_spread = 0;
  std::mt19937_64 m_random;
};

} // namespace cachewarm::exec
