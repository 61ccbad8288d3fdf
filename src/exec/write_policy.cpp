#include "cachewarm/exec/write_policy.hpp"

#include <limits>
#include <variant>

namespace cachewarm::exec {

WritePolicy::WritePolicy(std::chrono::milliseconds ttl,
                         manifest::Jitter jitter,
                         bool only_missing,
                         std::uint64_t seed)
    : m_ttl(ttl)
    , m_only_missing(only_missing)
    , m_random(seed)
{
  // In double, then clamped: huge TTLs times a fraction must not overflow int64. The clamp is
  // taken from the integer `ms - 1`, never from its double: near INT64_MAX that double rounds up
  // to 2^63, which no int64 holds (a cast of it is undefined). Below it, `spread` is at most
  // 2^63 - 1024 and converts exactly.
  const std::int64_t ms = m_ttl.count();
  const double spread =
      static_cast<double>(jitter.absolute.count()) + static_cast<double>(ms) * jitter.fraction;
  const std::int64_t ceiling = ms > 0 ? ms - 1 : 0;
  m_spread = spread >= static_cast<double>(ceiling) ? ceiling : static_cast<std::int64_t>(spread);
}

void
WritePolicy::apply(core::Entry& entry)
{
  entry.only_missing = m_only_missing;
  if (std::holds_alternative<core::DumpValue>(entry.value)) {
    return; // a restored key keeps the TTL it had (set by the resolver)
  }
  entry.ttl = m_ttl;
  if (m_ttl.count() > 0 && m_spread > 0) {
    std::uniform_int_distribution<std::int64_t> offset(-m_spread, m_spread);
    const std::int64_t shift = offset(m_random);
    const std::int64_t ttl = m_ttl.count();
    // Saturate instead of overflowing (Redis then refuses an absurd expiry for that key).
    entry.ttl = std::chrono::milliseconds(
        shift > 0 && ttl > std::numeric_limits<std::int64_t>::max() - shift
            ? std::numeric_limits<std::int64_t>::max()
            : ttl + shift);
  }
}

} // namespace cachewarm::exec
