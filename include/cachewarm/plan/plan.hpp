#pragma once

#include "cachewarm/manifest/diagnostic.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/plan/schedule.hpp"

#include <tl/expected.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cachewarm::plan {

// Command-line choices that shape a plan.
struct PlanOptions {
  std::vector<std::string> groups; // -g; empty: every group
  std::optional<manifest::Rate> rate;
  std::optional<std::size_t> concurrency;
  std::optional<std::size_t> batch;
  bool due = false;               // --due: only groups whose schedule is due at `now` run
  Instant now{};                  // the instant schedules are evaluated at (--at, or the clock)
  std::chrono::minutes window{5}; // --window: how often `run --due` is invoked (cron tolerance)
};

// One group to run, with every setting resolved (group, then defaults, then command line).
struct GroupPlan {
  const manifest::GroupSpec* spec = nullptr;
  std::vector<const manifest::TargetSpec*> targets;
  std::size_t batch = 500;
  std::size_t concurrency = 4;
  manifest::Rate rate;                            // with a throttle, a numeric rate is its ceiling
  std::optional<manifest::ThrottleSpec> throttle; // adaptive: `rate: auto` or `throttle:`
  std::chrono::milliseconds ttl{0};
  manifest::Jitter ttl_jitter;
  bool only_missing = false;
  bool run = true;                        // false: reported with `reason`, not run
  std::string reason;                     // why it runs or not ("selected with -g",
                                          // "run: every group", or its schedule's Due::reason)
  std::optional<std::uint64_t> key_count; // known without reading a source (keys, patterns)
  // Schedule facts, for groups with a schedule (empty/false/nullopt without one):
  std::string schedule;            // its name
  bool due = false;                // its state at PlanOptions::now
  std::string due_reason;          // Due::reason at PlanOptions::now
  std::optional<Instant> deadline; // with --due: a peak's start when now is before it
  std::optional<Instant> next_due; // the next due window's start after now
  std::string next_due_local;      // next_due in the schedule's zone
};

struct Plan {
  std::vector<GroupPlan> groups; // in run order: priority descending, then manifest order
  Instant now{};                 // when schedules were evaluated
};

// Chooses and orders the groups to run, resolves their settings and evaluates their schedules at
// `options.now`. With `options.due`, groups whose schedule is not due (or that have none) stay in
// the plan with run = false and the reason. Pure.
// Errors: every problem as a diagnostic: a -g naming no group, a schedule that does not compile
// (unknown time zone, bad cron) at the schedule, and features the manifest accepts but this
// version cannot run yet ("... is not supported yet"), each at its manifest location.
tl::expected<Plan, std::vector<manifest::Diagnostic>> make_plan(const manifest::Manifest& manifest,
                                                                const PlanOptions& options);

} // namespace cachewarm::plan
