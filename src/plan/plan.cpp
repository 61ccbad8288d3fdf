#include "cachewarm/plan/plan.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace cachewarm::plan {

namespace {

// Keys known without reading any source: literal lists and patterns.
std::optional<std::uint64_t>
count_keys(const manifest::GroupSpec& group)
{
  if (!group.keys.empty()) {
    return group.keys.size();
  }
  if (!group.pattern) {
    return std::nullopt;
  }
  std::uint64_t count = 1;
  for (const manifest::PatternVar& var : group.with) {
    const std::uint64_t size = var.range ? var.range->size() : var.values.size();
    if (size != 0 && count > UINT64_MAX / size) {
      return std::nullopt;
    }
    count *= size;
  }
  return count;
}

class Checker {
public:
  Checker(const manifest::Manifest& manifest, std::vector<manifest::Diagnostic>& diagnostics)
      : m_manifest(manifest)
      , m_diagnostics(diagnostics)
  {}

  void add(manifest::Location loc, std::string message)
  {
    m_diagnostics.push_back(manifest::Diagnostic{m_manifest.path, loc, std::move(message)});
  }

private:
  const manifest::Manifest& m_manifest;
  std::vector<manifest::Diagnostic>& m_diagnostics;
};

} // namespace

namespace {

// The groups to run: every group, or those named with -g (in manifest order; a -g naming a
// targets_by_segment group selects all its segments), highest priority first; equal priorities
// keep manifest order. A -g naming no group is a diagnostic.
std::vector<const manifest::GroupSpec*>
choose_groups(const manifest::Manifest& manifest, const PlanOptions& options, Checker& checker)
{
  std::vector<const manifest::GroupSpec*> chosen;
  auto named = [&](const manifest::GroupSpec& group) {
    return std::find_if(options.groups.begin(),
                        options.groups.end(),
                        [&](const std::string& name) {
                          return name == group.name
                                 || (!group.family.empty() && name == group.family);
                        })
           != options.groups.end();
  };
  for (const std::string& name : options.groups) {
    if (std::none_of(manifest.groups.begin(), manifest.groups.end(), [&](const auto& group) {
          return group.name == name || group.family == name;
        })) {
      std::string defined;
      for (const manifest::GroupSpec& known : manifest.groups) {
        defined += (defined.empty() ? "" : ", ") + known.name;
      }
      checker.add({}, "unknown group \"" + name + "\" (defined: " + defined + ")");
    }
  }
  for (const manifest::GroupSpec& group : manifest.groups) {
    if (options.groups.empty() || named(group)) {
      chosen.push_back(&group);
    }
  }
  std::stable_sort(chosen.begin(), chosen.end(), [](const auto* a, const auto* b) {
    return a->priority > b->priority;
  });
  return chosen;
}

// Every schedule, compiled once (time zone and cron checked), used by a group or not: a broken
// schedule is a broken manifest.
std::vector<std::pair<std::string, Schedule>>
compile_schedules(const manifest::Manifest& manifest, Checker& checker)
{
  std::vector<std::pair<std::string, Schedule>> schedules;
  for (const manifest::ScheduleSpec& spec : manifest.schedules) {
    core::Result<Schedule> compiled = Schedule::compile(spec);
    if (!compiled) {
      checker.add(spec.loc, compiled.error().message);
      continue;
    }
    schedules.emplace_back(spec.name, std::move(*compiled));
  }
  return schedules;
}

// The group's targets (its own, defaults.target, or the only one).
void
resolve_targets(const manifest::Manifest& manifest, GroupPlan& step, Checker& checker)
{
  const manifest::GroupSpec& group = *step.spec;
  std::vector<std::string> names = group.targets;
  if (names.empty() && !manifest.defaults.target.empty()) {
    names.push_back(manifest.defaults.target);
  } else if (names.empty() && manifest.targets.size() == 1) {
    names.push_back(manifest.targets.front().name);
  } else if (names.empty()) {
    checker.add(group.loc,
                "group \"" + group.name + "\": no target (set target: or defaults.target)");
  }
  for (const std::string& name : names) {
    const manifest::TargetSpec* target = manifest.find_target(name);
    if (target == nullptr) {
      checker.add(group.targets_loc,
                  "group \"" + group.name + "\": unknown target \"" + name + "\"");
      continue;
    }
    step.targets.push_back(target);
  }
}

// The group's write settings: command line over group over defaults.
void
resolve_settings(const manifest::Defaults& defaults, const PlanOptions& options, GroupPlan& step)
{
  const manifest::GroupSpec& group = *step.spec;
  step.batch = options.batch.value_or(group.batch.value_or(defaults.batch));
  step.concurrency = options.concurrency.value_or(group.concurrency.value_or(defaults.concurrency));
  step.rate = options.rate.value_or(group.rate.value_or(defaults.rate));
  // A batch never holds more than 50 ms of a fixed rate, so the rate is smooth at any scale
  // (a 500-key batch at 100/s would otherwise write in 5-second bursts).
  if (step.rate.per_second > 0.0) {
    const double smooth = std::max(1.0, std::floor(step.rate.per_second * 0.05));
    step.batch = std::min(step.batch, static_cast<std::size_t>(smooth));
  }
  step.throttle = group.throttle ? group.throttle : defaults.throttle;
  if (step.rate.adaptive && !step.throttle) {
    step.throttle = manifest::ThrottleSpec{};
  }
  step.ttl = group.ttl.value_or(defaults.ttl);
  step.ttl_jitter = group.ttl_jitter.value_or(defaults.ttl_jitter);
  step.only_missing = group.only_missing.value_or(defaults.only_missing);
}

// Evaluates the group's schedule (if any) at options.now; with --due, only a due group runs.
void
apply_schedule(const std::vector<std::pair<std::string, Schedule>>& schedules,
               const PlanOptions& options,
               GroupPlan& step)
{
  const manifest::GroupSpec& group = *step.spec;
  const auto schedule = std::find_if(schedules.begin(), schedules.end(), [&](const auto& entry) {
    return entry.first == group.schedule;
  });
  if (schedule != schedules.end()) {
    const Due due = schedule->second.evaluate(options.now, options.window);
    step.schedule = group.schedule;
    step.due = due.due;
    step.due_reason = due.reason;
    step.next_due = schedule->second.next_due(options.now, options.window);
    if (step.next_due) {
      step.next_due_local = schedule->second.format_local(*step.next_due);
    }
    // Deadlines steer scheduled runs only: an operator's ad hoc run warms everything asked.
    if (options.due && due.due) {
      step.deadline = due.deadline;
    }
  }
  if (options.due) {
    step.run = step.due;
    step.reason = !step.schedule.empty()
                      ? step.due_reason
                      : "not due: no schedule (run it with -g, or without --due)";
  }
}

} // namespace

tl::expected<Plan, std::vector<manifest::Diagnostic>>
make_plan(const manifest::Manifest& manifest, const PlanOptions& options)
{
  std::vector<manifest::Diagnostic> diagnostics;
  Checker checker(manifest, diagnostics);
  const std::vector<const manifest::GroupSpec*> chosen = choose_groups(manifest, options, checker);
  const std::vector<std::pair<std::string, Schedule>> schedules =
      compile_schedules(manifest, checker);
  Plan plan;
  plan.now = options.now;
  for (const manifest::GroupSpec* group : chosen) {
    GroupPlan step;
    step.spec = group;
    resolve_targets(manifest, step, checker);
    resolve_settings(manifest.defaults, options, step);
    step.reason = options.groups.empty() ? "run: every group" : "selected with -g";
    step.key_count = count_keys(*group);
    apply_schedule(schedules, options, step);
    plan.groups.push_back(std::move(step));
  }
  if (!diagnostics.empty()) {
    return tl::unexpected(std::move(diagnostics));
  }
  return plan;
}

} // namespace cachewarm::plan
