#pragma once

#include "cachewarm/core/result.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::manifest {

// A throughput limit. `per_second == 0` means unlimited.
struct Rate {
  double per_second = 0.0; // 0: unlimited (or, when adaptive, no ceiling)
  bool adaptive = false;   // `auto`: cachewarm finds the rate the target can take (throttle)
  bool operator==(const Rate&) const = default;
};

// An inclusive integer range `first..last`, zero-padded to `width` digits when written with
// leading zeros (`001..120` has width 3; `1..5000` has width 0).
struct Range {
  std::int64_t first = 0;
  std::int64_t last = 0;
  int width = 0;
  bool operator==(const Range&) const = default;

  // Number of values in the range (last >= first is guaranteed by parse_range).
  std::uint64_t size() const { return static_cast<std::uint64_t>(last - first) + 1; }
  // The value at `index` (0-based, < size()), zero-padded to `width`.
  std::string at(std::uint64_t index) const;
};

// TTL jitter: either a fraction of the TTL (`10%` -> 0.10) or an absolute duration (`5m`).
// The written TTL is uniform in [ttl - j, ttl + j], never below 1 ms.
struct Jitter {
  double fraction = 0.0;
  std::chrono::milliseconds absolute{0};
  bool operator==(const Jitter&) const = default;
  // True for no jitter at all (the default).
  bool is_zero() const { return fraction == 0.0 && absolute.count() == 0; }
};

// Parses `500ms`, `90s`, `30m`, `2h`, `1d` (an integer and a unit; `0` alone is allowed).
// Errors (Errc::manifest): "invalid duration \"x\" (expected e.g. 500ms, 90s, 30m, 2h, 1d)".
core::Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// Parses `N/s`, `N/m`, `N/h` (N may be a decimal), `unlimited` or `auto` (adaptive; callers that
// cannot adapt refuse it).
// Errors: "invalid rate \"x\" (expected e.g. 500/s, 1000/m, unlimited or auto)".
core::Result<Rate> parse_rate(std::string_view text);

// Parses `a..b` with a <= b, both non-negative integers; leading zeros set the width.
// Errors: "invalid range \"x\" (expected e.g. 1..5000 or 001..120)", "range \"9..1\" is empty".
core::Result<Range> parse_range(std::string_view text);

// Parses `10%` (0..100) or a duration.
// Errors: "invalid jitter \"x\" (expected a percentage like 10% or a duration like 5m)".
core::Result<Jitter> parse_jitter(std::string_view text);

// Parses a byte count: plain bytes (`65536`), binary units `KiB`, `MiB`, `GiB` (`512KiB`,
// `8MiB`) or decimal units `kB`, `MB`, `GB` (`100kB`, `10MB`); a non-negative integer and an
// optional unit, nothing else (`0` is allowed; callers check their own minimum).
// Errors (Errc::manifest): "invalid size \"x\" (expected e.g. 65536, 512KiB or 8MiB)", also for
// sizes that do not fit a std::size_t.
core::Result<std::size_t> parse_size(std::string_view text);

// Formats a duration in the largest unit that divides it exactly (`7200000ms` -> "2h").
std::string format_duration(std::chrono::milliseconds duration);

} // namespace cachewarm::manifest
