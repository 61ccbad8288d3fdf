#pragma once

#include "cachewarm/exec/run_options.hpp"
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
// A stop request makes run() stop feeding batches, let in-flight ones finish (a target riding out
// a fault gives up its wait) and return Outcome::interrupted with the report of what was done.
RunResult
run(const manifest::Manifest& manifest, const plan::Plan& plan, const RunOptions& options);

// The report of a run that was refused before it started (another run holds the lock): every
// group of `plan` with `ran: false`, due groups with the reason "not started: " + `why`, the
// others with their plan reason; `error` is `why` and the status `failed`.
report::Report
refused_report(const manifest::Manifest& manifest, const plan::Plan& plan, const std::string& why);

// Why a group with a deadline must not start at `now` (the plan's clock): the deadline passed,
// or its known key count at its rate cannot be written in the time left. nullopt: start it.
std::optional<std::string> deadline_cut(const plan::GroupPlan& group, plan::Instant now);

} // namespace cachewarm::exec
