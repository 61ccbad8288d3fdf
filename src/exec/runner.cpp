#include "cachewarm/exec/runner.hpp"

#include "cachewarm/core/log.hpp"
#include "cachewarm/exec/open_group.hpp"
#include "cachewarm/exec/run_group.hpp"
#include "cachewarm/exec/target_lane.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace cachewarm::exec {

namespace {

// Appends `line` to the report's run-wide error, one problem per line.
void
add_error(report::Report& report, const std::string& line)
{
  report.error += (report.error.empty() ? "" : "\n") + line;
}

report::GroupReport
not_started(const plan::GroupPlan& step, std::string reason)
{
  report::GroupReport skipped;
  skipped.name = step.spec->name;
  skipped.reason = std::move(reason);
  return skipped;
}

// The group's targets that are still reachable, and the names of those that are not.
struct LiveTargets {
  std::vector<TargetState*> live;
  std::string down; // comma-separated names; empty: none down
};

LiveTargets
live_targets(const plan::GroupPlan& step, std::vector<TargetState>& targets)
{
  LiveTargets result;
  for (const manifest::TargetSpec* spec : step.targets) {
    auto found = std::find_if(
        targets.begin(), targets.end(), [&](const TargetState& t) { return t.spec == spec; });
    if (found->unreachable.empty()) {
      result.live.push_back(&*found);
    } else {
      result.down += (result.down.empty() ? "" : ", ") + spec->name;
    }
  }
  return result;
}

// Runs the due groups of a set-up whose problems are empty, in plan order.
class Driver {
public:
  Driver(const plan::Plan& plan, SetUp& setup, const RunOptions& options, report::Report& report)
      : m_plan(plan)
      , m_setup(setup)
      , m_options(options)
      , m_report(report)
      , m_started(std::chrono::steady_clock::now())
  {}

  // Runs every group; true when every group that ran completed (for the state file).
  bool run_all()
  {
    auto next_prepared = m_setup.groups.begin();
    for (std::size_t g = 0; g < m_plan.groups.size(); ++g) {
      const plan::GroupPlan& step = m_plan.groups[g];
      if (!step.run) {
        m_report.groups.push_back(not_started(step, step.reason));
        continue;
      }
      if (m_options.progress != nullptr) {
        m_options.progress->group_index.store(g);
      }
      run_one(*next_prepared++);
    }
    return m_all_done;
  }

  bool unreachable() const { return m_unreachable; }

private:
  // Deadlines are compared with the plan's clock (--at), advanced by the time the run has taken.
  plan::Instant plan_clock() const
  {
    return m_plan.now
           + std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                   - m_started);
  }

  void run_one(PreparedGroup& group)
  {
    const plan::GroupPlan& step = *group.plan;
    const std::string& name = step.spec->name;
    if (m_options.checkpoint != nullptr && m_options.checkpoint->progress(name).done) {
      m_report.groups.push_back(
          not_started(step, "already completed (state file " + m_options.checkpoint->path() + ")"));
      return;
    }
    if (std::optional<std::string> cut = deadline_cut(step, plan_clock())) {
      core::log(core::LogLevel::warning, "group " + name + ": " + *cut);
      report::GroupReport skipped = not_started(step, *cut);
      skipped.ready_by = step.deadline;
      skipped.deadline_met = false;
      m_report.groups.push_back(std::move(skipped));
      return;
    }
    const LiveTargets targets = live_targets(step, m_setup.targets);
    m_unreachable = m_unreachable || !targets.down.empty();
    if (m_options.stopping() || targets.live.empty()) {
      m_report.groups.push_back(not_started(
          step,
          m_options.stopping() ? "not started: interrupted"
                               : "not started: target " + targets.down + " unreachable"));
      return;
    }
    core::log(core::LogLevel::info, "group " + name + ": " + step.reason);
    GroupRun ran = run_group(group, targets.live, m_options);
    m_all_done = m_all_done && ran.done;
    if (step.deadline) {
      ran.report.ready_by = step.deadline;
      ran.report.deadline_met = plan_clock() <= *step.deadline;
    }
    if (!targets.down.empty()) {
      ran.report.reason += "; target " + targets.down + " unreachable";
    }
    if (!ran.source_error.empty()) {
      m_unreachable = true;
      add_error(m_report, "group " + name + ": " + ran.source_error);
    }
    m_report.groups.push_back(std::move(ran.report));
  }

  const plan::Plan& m_plan;
  SetUp& m_setup;
  const RunOptions& m_options;
  report::Report& m_report;
  const std::chrono::steady_clock::time_point m_started;
  bool m_unreachable = false;
  bool m_all_done = true;
};

report::Status
status_of(const report::Report& report, Outcome outcome)
{
  if (outcome == Outcome::interrupted) {
    return report::Status::interrupted;
  }
  if (outcome == Outcome::unreachable || outcome == Outcome::setup_failed) {
    return report::Status::failed;
  }
  if (report.totals.failed == 0) {
    return report::Status::ok;
  }
  return report.totals.written + report.totals.skipped == 0 ? report::Status::failed
                                                            : report::Status::partial;
}

report::Report
new_report(const manifest::Manifest& manifest, bool dry_run)
{
  report::Report report;
  report.version = CACHEWARM_VERSION;
  report.manifest = manifest.path;
  report.dry_run = dry_run;
  report.started_at = std::chrono::system_clock::now();
  return report;
}

void
close_report(report::Report& report, Outcome outcome)
{
  report.finished_at = std::chrono::system_clock::now();
  report::compute_totals(report);
  report.status = status_of(report, outcome);
}

} // namespace

std::optional<std::string>
deadline_cut(const plan::GroupPlan& group, plan::Instant now)
{
  if (!group.deadline) {
    return std::nullopt;
  }
  const plan::Instant deadline = *group.deadline;
  if (now >= deadline) {
    return "cut: its deadline " + plan::format_instant(deadline) + " passed before it could start";
  }
  if (group.key_count && group.rate.per_second > 0.0) {
    const double seconds = static_cast<double>(*group.key_count) / group.rate.per_second;
    const auto estimate = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
    if (now + estimate > deadline) {
      return "cut: " + std::to_string(*group.key_count) + " keys at "
             + std::to_string(static_cast<std::int64_t>(group.rate.per_second))
             + "/s would finish after its deadline " + plan::format_instant(deadline);
    }
  }
  return std::nullopt;
}

CheckResult
check(const manifest::Manifest& manifest, const plan::Plan& plan)
{
  SetUp setup = set_up(manifest, plan, SetUpOptions{true, false, nullptr});
  return CheckResult{std::move(setup.problems), setup.source_unreachable};
}

report::Report
refused_report(const manifest::Manifest& manifest, const plan::Plan& plan, const std::string& why)
{
  report::Report report = new_report(manifest, false);
  for (const plan::GroupPlan& step : plan.groups) {
    report.groups.push_back(not_started(step, step.run ? "not started: " + why : step.reason));
  }
  report.error = why;
  close_report(report, Outcome::unreachable);
  return report;
}

RunResult
run(const manifest::Manifest& manifest, const plan::Plan& plan, const RunOptions& options)
{
  RunResult result;
  report::Report& report = result.report;
  report = new_report(manifest, options.dry_run);
  report.shard = options.shard;

  // Set-up: every target and every group is prepared before anything is written, so a bad
  // query, template or URL stops the run with nothing half-done.
  SetUp setup = set_up(
      manifest, plan, SetUpOptions{options.dry_run, options.checkpoint != nullptr, options.stop});
  if (!setup.problems.empty()) {
    result.outcome = setup.source_unreachable ? Outcome::unreachable : Outcome::setup_failed;
    for (const std::string& problem : setup.problems) {
      add_error(report, problem);
    }
    close_report(report, result.outcome);
    return result;
  }

  // Pre-flight: one connection per target proves it is reachable (address, password, database)
  // before any group starts, so a typo costs nothing.
  for (TargetState& target : setup.targets) {
    core::Result<std::unique_ptr<sinks::SinkConnection>> probe = target.sink->connect();
    if (!probe) {
      target.unreachable = probe.error().message;
    }
  }

  Driver driver(plan, setup, options, report);
  const bool all_done = driver.run_all();
  bool unreachable = driver.unreachable();
  for (const TargetState& target : setup.targets) {
    if (!target.unreachable.empty()) {
      unreachable = true;
      add_error(report, target.unreachable);
    }
  }

  // A run that completed everything leaves no state behind: the next run starts afresh.
  if (options.checkpoint != nullptr && all_done && !unreachable && !options.stopping()) {
    core::Result<void> removed = options.checkpoint->remove();
    if (!removed) {
      core::log(core::LogLevel::warning, removed.error().message);
    }
  }
  result.outcome = options.stopping() ? Outcome::interrupted
                   : unreachable      ? Outcome::unreachable
                                      : Outcome::completed;
  close_report(report, result.outcome);
  return result;
}

} // namespace cachewarm::exec
