#pragma once

#include "cachewarm/core/shard.hpp"
#include "cachewarm/exec/checkpoint.hpp"

#include <atomic>
#include <cstdint>
#include <optional>

namespace cachewarm::exec {

// Live counters for a progress display, updated by the runner's threads.
struct Progress {
  std::atomic<std::size_t> group_index{0}; // index into Plan::groups
  std::atomic<std::uint64_t> done{0};      // keys written, skipped or failed in this group
  std::atomic<std::uint64_t> total{0};     // expected keys x targets for this group, 0 if unknown
};

// How run() runs; the pointers are borrowed and must outlive the run.
struct RunOptions {
  bool dry_run = false;                    // resolve everything, write nothing, connect nowhere
  const std::atomic<bool>* stop = nullptr; // set by SIGINT/SIGTERM: finish in-flight batches, stop
  Progress* progress = nullptr;            // optional
  Checkpoint* checkpoint = nullptr;        // --resume: skip what an earlier run finished
  std::uint64_t max_value_size = 64 * 1024 * 1024; // bigger values fail as `too_large`
  // --max-memory-use: a group whose estimated memory would take a target with maxmemory past
  // this fraction of it is cut (its keys fail as `memory_limit`) instead of evicting live data.
  std::optional<double> max_memory_use;
  // --shard I/N: only the keys of this shard are resolved and written (and counted).
  std::optional<core::Shard> shard;

  // True once a stop was requested.
  bool stopping() const { return stop != nullptr && stop->load(); }
};

} // namespace cachewarm::exec
