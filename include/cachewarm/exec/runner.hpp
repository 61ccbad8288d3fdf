#pragma once

#include "cachewarm/exec/checkpoint.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/plan/plan.hpp"
#include "cachewarm/plan/schedule.hpp"
#include "cachewarm/report/report.hpp"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cachewarm::exec {

// Live counters for a progress display, updated by the runner's threads.
struct Progress {
  std::atomic<std::size_t> group_index{0}; // index into Plan::groups
  std::atomic<std::uint64_t> done{0};      // keys written, skipped or failed in this group
  std::atomic<std::uint64_t> total{0};     // expected keys x targets for this group, 0 if unknown
};

struct RunOptions {
  bool dry_run = false;                    // resolve everything, write nothing, connect nowhere
  const std::atomic<bool>* stop = nullptr; // set by SIGINT/SIGTERM: finish in-flight batches, stop
  Progress* progress = nullptr;            // optional
  Checkpoint* checkpoint = nullptr;        // --resume: skip what an earlier run finished
  std::uint64_t max_value_size = 64 * 1024 * 1024; // bigger values fail as `too_large`
  // --max-memory-use: a group whose estimated memory would take a target with maxmemory past
  // this fraction of it is cut (its keys fail as `memory_limit`) instead of evicting live data.
  std::optional<double> max_memory_use;
};

// What a run ended as, besides the report.
enum class Outcome {
  completed,    // every group ran (keys may have failed individually)
  setup_failed, // bad manifest found while preparing: nothing written (exit 2)
  unreachable,  // a target or source could not be reached (exit 3)
  interrupted,  // stopped by a signal (exit 130)
};

struct RunResult {
  Outcome outcome = Outcome::completed;
  report::Report report;
};

struct CheckResult {
  std::vector<std::string> problems; // `file:line:column: message` each
  bool source_unreachable = false;   // a source could not be opened (exit 3 rather than 2)
};

// Does run()'s set-up (target URLs, sources opened read-only, SQL prepared, templates bound)
// without connecting to any target or writing anything; for `validate`.
CheckResult check(const manifest::Manifest& manifest, const plan::Plan& plan);

// Prepares every group (opens sources, prepares SQL, binds templates, parses target URLs) and,
// only if all of that succeeds, runs them in plan order: each group streams rows from its key
// source through its value resolver into a bounded queue per target, drained by `concurrency`
// workers per target that write pipelined batches under a shared token bucket.
// On setup_failed the report's `error` holds every problem, one per line.
RunResult
run(const manifest::Manifest& manifest, const plan::Plan& plan, const RunOptions& options);

} // namespace cachewarm::exec
