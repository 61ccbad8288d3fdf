#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace cachewarm::core {

// Why the adaptive rate backed off in an interval.
enum class Strain : std::uint8_t {
  none,
  latency,   // a write round trip took longer than max_latency
  probe,     // probe PINGs (what any client of the target waits) slowed past their limit
  memory,    // used_memory passed max_memory of maxmemory
  evictions, // the target evicted keys
};
inline constexpr std::size_t k_strain_kinds = 5;

// `latency`, `probe`, `memory`, `evictions` (`none` for none).
std::string_view to_string(Strain strain);

struct AdaptiveRateOptions {
  double min_rate = 500.0; // keys/s; never slower
  double max_rate = 0.0;   // keys/s ceiling; 0: none
  double start_rate = 5000.0;
  double step = 2000.0;   // keys/s added after each healthy interval (additive increase)
  double backoff = 0.5;   // rate multiplier on strain (multiplicative decrease)
  int hold_intervals = 2; // healthy intervals after a back-off before speeding up again
  std::chrono::nanoseconds max_latency{std::chrono::milliseconds(5)};
  double probe_factor = 2.0; // probe limit = probe_factor x the idle probe latency ...
  std::chrono::nanoseconds probe_floor{std::chrono::microseconds(100)}; // ... and at least this
  double max_memory = 0.9;                                              // fraction of maxmemory
};

// What one control interval saw of the target; absent figures are not judged.
struct HealthSample {
  std::optional<std::chrono::nanoseconds> write_latency; // slowest-ish (p90) write round trip
  std::optional<std::chrono::nanoseconds> probe_latency; // p90 of the interval's probe PINGs
  std::optional<double> memory_fraction;                 // used_memory / maxmemory (maxmemory set)
  std::uint64_t evicted = 0;                             // keys evicted during the interval
};

// AIMD control of a write rate from the target's health: on strain the rate is multiplied by
// `backoff` (never below min_rate) and held for `hold_intervals`; after each healthy interval it
// grows by `step` (never above max_rate). Strains are judged in the order evictions, memory,
// latency, probe; the first found is the interval's reason. Not thread-safe; pure.
class AdaptiveRate {
public:
  explicit AdaptiveRate(const AdaptiveRateOptions& options);

  // The idle probe latency measured before writing; the probe limit becomes
  // max(probe_factor x idle, probe_floor). Without a baseline, probes are not judged.
  void set_baseline(std::chrono::nanoseconds idle_probe);
  std::optional<std::chrono::nanoseconds> probe_limit() const { return m_probe_limit; }

  // Judges one interval, adjusts the rate and returns the strain that made it back off (none
  // when it held or sped up).
  Strain update(const HealthSample& sample);

  double rate() const { return m_rate; }
  double lowest() const { return m_lowest; }
  double highest() const { return m_highest; }
  // Back-offs so far for `strain` (none: intervals without strain).
  std::uint64_t count(Strain strain) const { return m_counts[static_cast<std::size_t>(strain)]; }

private:
  Strain judge(const HealthSample& sample) const;

  AdaptiveRateOptions m_options;
  std::optional<std::chrono::nanoseconds> m_probe_limit;
  double m_rate;
  double m_lowest;
  double m_highest;
  int m_hold = 0;
  std::array<std::uint64_t, k_strain_kinds> m_counts{};
};

} // namespace cachewarm::core
