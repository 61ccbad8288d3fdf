#pragma once

#include "cachewarm/core/types.hpp"
#include "cachewarm/sinks/sink.hpp"
#include "cachewarm/sources/source.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cachewarm::exec {

// The memory pre-flight of one group: before the group writes anything, what each target holds
// and may hold (INFO), and how many rows the group still has to write.
struct MemoryCheck {
  struct Limited {
    std::string target; // the target's name
    sinks::TargetStats stats;
  };
  std::vector<Limited> limited;      // targets with a maxmemory; empty: nothing to judge
  std::optional<std::uint64_t> rows; // rows still to write (the source's count), if known
};

// Asks every sink in `targets` for its figures (a probe connection each; a sink without a probe,
// such as a dry run, or one that cannot be reached is left out: the workers report that) and,
// only if some target has a maxmemory, counts the rows of `keys` past `rows_done`. A source
// that cannot count is logged as a warning and leaves `rows` empty.
MemoryCheck start_memory_check(std::span<sinks::Sink* const> targets,
                               sources::KeySource& keys,
                               std::uint64_t rows_done);

// Bytes a target's memory grows by when it stores `entry` (sinks::estimated_memory for Redis).
using MemoryEstimator = std::function<std::uint64_t(const core::Entry&)>;

// What judge_memory() found.
struct MemoryJudgement {
  std::optional<std::uint64_t> estimated_bytes; // for the group's remaining rows; none: no data
  std::uint64_t keys = 0;                       // the keys those rows make (estimated)
  std::optional<std::string> cut; // why the group must not run (only with `max_memory_use`)
};

// Judges the group's memory estimate against every limited target of `check`. `sample` holds
// the entries resolved from the group's first `sample_rows` rows; the estimate scales them per
// row (a set, zset or list is built from many rows) to `check.rows`. A target pushed past
// `max_memory_use` (a fraction, e.g. 0.9) of its maxmemory gives a `cut`; without that option a
// target pushed past its maxmemory is only warned about (log), naming what it will do
// (OOM errors under noeviction, else evictions). `group` names the group in messages.
MemoryJudgement judge_memory(const MemoryCheck& check,
                             std::span<const core::Entry> sample,
                             std::uint64_t sample_rows,
                             std::optional<double> max_memory_use,
                             const std::string& group,
                             const MemoryEstimator& estimate);

} // namespace cachewarm::exec
