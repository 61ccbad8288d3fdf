#pragma once

#include "cachewarm/core/result.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cachewarm::core {

// One of `count` disjoint parts of every key set (`run --shard index/count`): N processes with
// indexes 0..N-1 together warm each key exactly once, whatever host or order they run in.
struct Shard {
  std::uint32_t index = 0;
  std::uint32_t count = 1;

  // Whether `key` belongs to this shard (shard_of(key, count) == index).
  bool owns(std::string_view key) const { return shard_of(key, count) == index; }

  // `2/4`, as written on the command line.
  std::string label() const { return std::to_string(index) + "/" + std::to_string(count); }

  // `.shard-2-of-4`: what per-shard file names (lock, resume state) carry.
  std::string file_suffix() const
  {
    return ".shard-" + std::to_string(index) + "-of-" + std::to_string(count);
  }

  // The shard of `key` among `count`: MurmurHash3's 64-bit finalizer over the key's FNV-1a
  // 64-bit hash, modulo `count`. Depends on the key's bytes only.
  static std::uint32_t shard_of(std::string_view key, std::uint32_t count);

  bool operator==(const Shard&) const = default;
};

// Parses `--shard I/N` (0 <= I < N, 1 <= N <= 65536) or `auto/N`, whose index comes from
// `lookup("JOB_COMPLETION_INDEX")` (Kubernetes Indexed Jobs). Errors (Errc::usage) start with
// "--shard: " and say what was expected.
Result<Shard>
parse_shard(std::string_view text,
            const std::function<std::optional<std::string>(std::string_view)>& lookup);

// `path` with `.shard-I-of-N` inserted before its extension (`state.json` ->
// `state.shard-1-of-4.json`; `state` -> `state.shard-1-of-4`; `dir.d/state` ->
// `dir.d/state.shard-1-of-4`).
std::string shard_path(std::string_view path, const Shard& shard);

} // namespace cachewarm::core
