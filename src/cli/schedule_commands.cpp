// `cachewarm plan` and `cachewarm cron`: what the schedules mean at an instant, and what to
// install so `run --due` is invoked often enough for every schedule.

#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"

#include "cachewarm/manifest/diagnostic.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/manifest/parse.hpp"
#include "cachewarm/manifest/units.hpp"
#include "cachewarm/plan/plan.hpp"
#include "cachewarm/plan/schedule.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace cachewarm::cli {

namespace {

// Where the crontab line appends the run's log lines (the JSON report itself is discarded).
constexpr std::string_view k_cron_log = "/var/log/cachewarm.log";

void
print_warning(std::string_view message)
{
  const std::string line = "cachewarm: warning: " + std::string(message) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string
join(const std::vector<std::string>& parts, std::string_view separator)
{
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) {
      out += separator;
    }
    out += part;
  }
  return out;
}

std::string
minutes_text(std::chrono::minutes minutes)
{
  return std::to_string(minutes.count()) + "m";
}

// The manifest loaded and planned at `now`; nullopt after the problems were printed.
struct Loaded {
  manifest::Manifest manifest;
  plan::Plan plan;
};

std::optional<Loaded>
load_and_plan(const std::string& path, plan::Instant now, std::chrono::minutes window)
{
  manifest::LoadResult loaded = manifest::load_manifest(path, manifest::process_env());
  if (!loaded.manifest) {
    print_diagnostics(loaded.diagnostics);
    print_error(path + ": invalid manifest");
    return std::nullopt;
  }
  std::optional<Loaded> result;
  result.emplace();
  result->manifest = std::move(*loaded.manifest);
  plan::PlanOptions options;
  // As `run --due` would: deadlines are only set for scheduled runs.
  options.due = true;
  options.now = now;
  options.window = window;
  // The plan points at elements of the manifest's vectors, which keep their addresses when
  // `result` is moved.
  auto planned = plan::make_plan(result->manifest, options);
  if (!planned) {
    print_diagnostics(planned.error());
    print_error(path + ": invalid manifest");
    return std::nullopt;
  }
  result->plan = std::move(*planned);
  return result;
}

plan::Instant
clock_now()
{
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::vector<std::string>
target_names(const plan::GroupPlan& group)
{
  std::vector<std::string> names;
  for (const manifest::TargetSpec* target : group.targets) {
    names.push_back(target->name);
  }
  return names;
}

// --- plan ---------------------------------------------------------------------------------------

// A group's key count, or with --shard the shard's expected share of it (keys hash evenly).
std::optional<std::uint64_t>
planned_keys(const plan::GroupPlan& group, const std::optional<core::Shard>& shard)
{
  if (!group.key_count || !shard) {
    return group.key_count;
  }
  return (*group.key_count + shard->count / 2) / shard->count;
}

std::vector<std::string>
table_row(const plan::GroupPlan& group, const std::optional<core::Shard>& shard)
{
  const std::optional<std::uint64_t> keys = planned_keys(group, shard);
  const bool scheduled = !group.schedule.empty();
  return {
      group.spec->name,
      std::to_string(group.spec->priority),
      scheduled ? group.schedule : "-",
      scheduled ? (group.due ? "yes" : "no") : "-",
      scheduled ? group.due_reason : "no schedule",
      group.next_due ? group.next_due_local : "-",
      group.next_due ? plan::format_instant(*group.next_due) : "-",
      keys ? (shard ? "~" : "") + std::to_string(*keys) : "?",
      target_names(group).empty() ? "-" : join(target_names(group), ","),
  };
}

// Columns padded to their widest cell, two spaces apart; the last column is not padded.
std::string
format_table(const std::vector<std::vector<std::string>>& rows)
{
  std::vector<std::size_t> widths;
  for (const std::vector<std::string>& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const std::vector<std::string>& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line.append(widths[i] - row[i].size() + 2, ' ');
      }
    }
    out += line + "\n";
  }
  return out;
}

std::string
plan_table(const plan::Plan& plan, const std::optional<core::Shard>& shard)
{
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"GROUP",
                  "PRIO",
                  "SCHEDULE",
                  "DUE",
                  "WHY",
                  "NEXT DUE (LOCAL)",
                  "NEXT DUE (UTC)",
                  "KEYS",
                  "TARGETS"});
  for (const plan::GroupPlan& group : plan.groups) {
    rows.push_back(table_row(group, shard));
  }
  return format_table(rows);
}

nlohmann::ordered_json
optional_instant(const std::optional<plan::Instant>& instant)
{
  return instant ? nlohmann::ordered_json(plan::format_instant(*instant)) : nullptr;
}

std::string
plan_json(const plan::Plan& plan, const std::optional<core::Shard>& shard)
{
  nlohmann::ordered_json groups = nlohmann::ordered_json::array();
  for (const plan::GroupPlan& group : plan.groups) {
    const bool scheduled = !group.schedule.empty();
    nlohmann::ordered_json entry;
    entry["name"] = group.spec->name;
    entry["priority"] = group.spec->priority;
    entry["schedule"] = scheduled ? nlohmann::ordered_json(group.schedule) : nullptr;
    entry["due"] = scheduled ? nlohmann::ordered_json(group.due) : nullptr;
    entry["reason"] = scheduled ? nlohmann::ordered_json(group.due_reason) : nullptr;
    entry["deadline"] = optional_instant(group.deadline);
    entry["next_due"] = optional_instant(group.next_due);
    entry["next_due_local"] =
        group.next_due ? nlohmann::ordered_json(group.next_due_local) : nullptr;
    const std::optional<std::uint64_t> keys = planned_keys(group, shard);
    entry["keys"] = keys ? nlohmann::ordered_json(*keys) : nullptr;
    entry["targets"] = target_names(group);
    groups.push_back(std::move(entry));
  }
  nlohmann::ordered_json document;
  document["schema_version"] = 1;
  document["at"] = plan::format_instant(plan.now);
  if (shard) {
    document["shard"] = {{"index", shard->index}, {"count", shard->count}};
  }
  document["groups"] = std::move(groups);
  return document.dump(2) + "\n";
}

// --- cron ---------------------------------------------------------------------------------------

// `text` as one POSIX shell word (cron runs its command with /bin/sh).
std::string
shell_quote(std::string_view text)
{
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || std::string_view("/._-+:,=@").find(c) != std::string_view::npos;
  });
  if (plain) {
    return std::string(text);
  }
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

// `text` as one word of a systemd command line: quoted when needed, `%` and `$` doubled so
// systemd expands neither specifiers nor variables.
std::string
systemd_quote(std::string_view text)
{
  std::string escaped;
  bool needs_quotes = text.empty();
  for (const char c : text) {
    if (c == '%' || c == '$') {
      escaped += c;
    } else if (c == '"' || c == '\\') {
      escaped += '\\';
    }
    escaped += c;
    needs_quotes = needs_quotes || c == ' ' || c == '\t' || c == '\'' || c == '"' || c == ';';
  }
  return needs_quotes ? "\"" + escaped + "\"" : escaped;
}

// A unit-name-safe version of the manifest's stem (systemd allows [A-Za-z0-9:_.\-]).
std::string
unit_stem(const std::filesystem::path& manifest)
{
  std::string stem = manifest.stem().string();
  for (char& c : stem) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                         || c == '_' || c == '-' || c == '.' || c == ':';
    if (!allowed) {
      c = '_';
    }
  }
  return stem.empty() ? std::string("manifest") : stem;
}

// The schedule's rule in manifest words: `peak 09:00-18:00 on mon,fri, lead 30m`.
std::string
describe_rule(const manifest::ScheduleSpec& spec)
{
  std::string rule;
  if (!spec.peak.empty()) {
    rule = "peak " + spec.peak;
    if (!spec.days.empty()) {
      rule += " on " + join(spec.days, ",");
    }
  } else if (!spec.dates.empty()) {
    rule = "dates " + join(spec.dates, ",") + " from " + (spec.at.empty() ? "00:00" : spec.at);
  } else if (!spec.cron.empty()) {
    rule = "cron \"" + spec.cron + "\"";
  }
  if (spec.lead.count() > 0) {
    rule += ", lead " + manifest::format_duration(spec.lead);
  }
  return rule;
}

std::string
binary_path(const std::string& given)
{
  if (!given.empty()) {
    std::error_code error;
    const std::filesystem::path absolute = std::filesystem::absolute(given, error);
    return error ? given : absolute.lexically_normal().string();
  }
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string("cachewarm") : self.string();
}

// Comment lines naming the manifest and every schedule with its next due time after `now`.
// Also warns (stderr) about schedules whose lead is shorter than the invocation interval.
std::string
schedule_comments(const manifest::Manifest& manifest,
                  const std::string& manifest_path,
                  plan::Instant now,
                  std::chrono::minutes window)
{
  std::string out = "# cachewarm schedules of " + manifest_path + "\n";
  out += "# `run --due` every " + minutes_text(window)
         + " runs the groups whose schedule is due (see `cachewarm plan`):\n";
  for (const manifest::ScheduleSpec& spec : manifest.schedules) {
    std::string line =
        "# schedule " + spec.name + ": " + describe_rule(spec) + " (" + spec.timezone + ")";
    // make_plan has compiled every schedule the groups use, so this only fails for a schedule
    // no group refers to.
    const core::Result<plan::Schedule> schedule = plan::Schedule::compile(spec);
    if (!schedule) {
      line += "; " + schedule.error().message;
    } else if (const std::optional<plan::Instant> next = schedule->next_due(now, window)) {
      line +=
          "; next due " + schedule->format_local(*next) + " (" + plan::format_instant(*next) + ")";
    } else {
      line += "; never due in the next 400 days";
    }
    out += line + "\n";
    // Invocations come every `window`, so the first one inside the due window (which opens
    // `lead` before the start) may come up to `window - lead` after the start itself.
    const bool has_start = !spec.peak.empty() || !spec.dates.empty();
    if (has_start && spec.lead < window) {
      const std::string lead =
          spec.lead.count() == 0 ? "no lead" : "lead " + manifest::format_duration(spec.lead);
      print_warning("schedule " + spec.name + ": " + lead + " and `run --due` every "
                    + minutes_text(window) + ": warming may start up to "
                    + manifest::format_duration(window - spec.lead)
                    + " after the schedule's start time (give it lead: " + minutes_text(window)
                    + " or more)");
    }
  }
  return out;
}

std::string
run_command(const std::string& binary,
            std::chrono::minutes window,
            std::string (*quote)(std::string_view))
{
  return quote(binary) + " run --due --window " + minutes_text(window) + " --progress never";
}

std::string
crontab_text(const std::string& binary,
             const std::string& manifest_path,
             std::chrono::minutes window)
{
  std::string minute_field;
  if (window.count() == 1) {
    minute_field = "*";
  } else if (window.count() == 60) {
    minute_field = "0";
  } else {
    minute_field = "*/" + std::to_string(window.count());
  }
  std::string command = run_command(binary, window, shell_quote) + " --log-format json "
                        + shell_quote(manifest_path) + " > /dev/null 2>> "
                        + std::string(k_cron_log);
  // An unescaped `%` in a crontab command is a newline.
  std::string escaped;
  for (const char c : command) {
    if (c == '%') {
      escaped += '\\';
    }
    escaped += c;
  }
  std::string out;
  out += "# The JSON report is discarded; log lines (JSON) are appended to "
         + std::string(k_cron_log) + ".\n";
  out += "# Keep --window equal to the interval: cron schedules are due once per window.\n";
  out += minute_field + " * * * * " + escaped + "\n";
  return out;
}

std::string
systemd_text(const std::string& binary,
             const std::string& manifest_path,
             const std::string& stem,
             std::chrono::minutes window)
{
  std::string calendar;
  if (window.count() == 60) {
    calendar = "*:00";
  } else {
    calendar = "*:0/" + std::to_string(window.count());
  }
  const std::string service = "cachewarm-" + stem + ".service";
  const std::string timer = "cachewarm-" + stem + ".timer";
  std::string out;
  out += "# --- " + service + " ---\n";
  out += "[Unit]\n";
  out += "Description=Warm the due cache groups of " + manifest_path + "\n";
  out += "\n";
  out += "[Service]\n";
  out += "Type=oneshot\n";
  out += "ExecStart=" + run_command(binary, window, systemd_quote) + " "
         + systemd_quote(manifest_path) + "\n";
  out += "\n";
  out += "# --- " + timer + " ---\n";
  out += "[Unit]\n";
  out += "Description=Invoke " + service + " every " + minutes_text(window) + "\n";
  out += "\n";
  out += "[Timer]\n";
  out += "OnCalendar=" + calendar + "\n";
  out += "AccuracySec=1s\n";
  out += "Persistent=false\n";
  out += "Unit=" + service + "\n";
  out += "\n";
  out += "[Install]\n";
  out += "WantedBy=timers.target\n";
  return out;
}

} // namespace

int
command_plan(const PlanCommandArgs& args)
{
  plan::Instant now = clock_now();
  if (!args.at.empty()) {
    const core::Result<plan::Instant> at = plan::parse_instant(args.at);
    if (!at) {
      print_error("--at: " + at.error().message);
      return k_exit_usage;
    }
    now = *at;
  }
  if (args.window.count() < 1) {
    print_error("--window: must be at least 1m");
    return k_exit_usage;
  }
  const std::optional<Loaded> loaded = load_and_plan(args.manifest, now, args.window);
  if (!loaded) {
    return k_exit_usage;
  }
  std::string text =
      args.json ? plan_json(loaded->plan, args.shard) : plan_table(loaded->plan, args.shard);
  if (args.shard && !args.json) {
    text = "shard " + args.shard->label() + ": KEYS is this shard's expected share\n" + text;
  }
  return print_output(text, "the plan");
}

int
command_cron(const CronCommandArgs& args)
{
  const std::chrono::minutes::rep minutes = args.window.count();
  if (minutes < 1 || minutes > 60 || 60 % minutes != 0) {
    print_error("--window " + minutes_text(args.window)
                + ": must divide an hour (1m, 2m, 3m, 4m, 5m, 6m, 10m, 12m, 15m, 20m, 30m or "
                  "60m)");
    return k_exit_usage;
  }
  const plan::Instant now = clock_now();
  const std::optional<Loaded> loaded = load_and_plan(args.manifest, now, args.window);
  if (!loaded) {
    return k_exit_usage;
  }
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(args.manifest, error);
  if (error) {
    absolute = args.manifest;
  }
  const std::string manifest_path = absolute.lexically_normal().string();

  std::string out;
  if (loaded->manifest.schedules.empty()) {
    out = "# cachewarm: " + manifest_path
          + " has no schedules, so `run --due` would never run a group; nothing to install\n";
    return print_output(out, args.systemd ? "the units" : "the crontab");
  }
  out = schedule_comments(loaded->manifest, manifest_path, now, args.window);
  const std::string binary = binary_path(args.binary);
  if (args.systemd) {
    out += systemd_text(binary, manifest_path, unit_stem(absolute), args.window);
  } else {
    out += crontab_text(binary, manifest_path, args.window);
  }
  return print_output(out, args.systemd ? "the units" : "the crontab");
}

} // namespace cachewarm::cli
