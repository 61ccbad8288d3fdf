#pragma once

#include <array>
#include <chrono>
#include <cstdint>

namespace cachewarm::core {

// A fixed-size latency histogram (log-linear buckets, <= ~3% relative error, 1 us .. ~1 h).
// Memory is constant whatever the number of samples; histograms from workers merge by addition.
class LatencyHistogram {
public:
  void record(std::chrono::nanoseconds latency);
  void merge(const LatencyHistogram& other);

  // The value at quantile `q` (0..1) in milliseconds; 0 when empty.
  double quantile_ms(double q) const;
  std::uint64_t count() const { return m_count; }
  double max_ms() const;

private:
  static constexpr std::size_t k_sub_buckets = 32; // per power of two
  static constexpr std::size_t k_powers = 32;      // 1 us .. 2^32 us
  std::array<std::uint64_t, k_sub_buckets * k_powers> m_buckets{};
  std::uint64_t m_count = 0;
  std::uint64_t m_max_us = 0;
};

} // namespace cachewarm::core
