#include "cachewarm/cli/cli.hpp"

#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "predict_commands.hpp"
#include "progress_line.hpp"
#include "snapshot_command.hpp"

#include "cachewarm/core/log.hpp"
#include "cachewarm/exec/run_lock.hpp"
#include "cachewarm/exec/runner.hpp"
#include "cachewarm/manifest/parse.hpp"
#include "cachewarm/manifest/units.hpp"
#include "cachewarm/plan/plan.hpp"
#include "cachewarm/plan/schedule.hpp"
#include "cachewarm/report/json.hpp"
#include "cachewarm/sources/http.hpp"

#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cachewarm::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void
handle_stop_signal(int /*signal*/)
{
  // A second signal means "now": skip the orderly shutdown.
  if (g_stop.exchange(true)) {
    _exit(k_exit_interrupted);
  }
}

void
install_signal_handlers()
{
  struct sigaction action {};
  action.sa_handler = handle_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // A closed pipe on stdout must be an I/O error, not a silent death.
  signal(SIGPIPE, SIG_IGN);
}

struct RunArgs {
  std::string manifest;
  std::vector<std::string> groups;
  bool dry_run = false;
  std::string rate;
  std::optional<std::size_t> concurrency;
  std::optional<std::size_t> batch;
  std::string report_file;
  std::string progress = "auto";
  std::optional<double> fail_under;
  std::optional<double> max_memory_use;
  std::string log_format = "text";
  bool due = false;
  std::string at;
  std::string window = "5m";
  std::string lock;
  std::string resume;
  std::string max_value_size = "64MiB";
  std::optional<std::string> shard; // --shard I/N or auto/N (given empty: an error)
};

// Parses --window: whole minutes, 1m..24h.
core::Result<std::chrono::minutes>
parse_window(const std::string& text)
{
  core::Result<std::chrono::milliseconds> duration = manifest::parse_duration(text);
  if (!duration || duration->count() % 60000 != 0 || *duration < std::chrono::minutes(1)
      || *duration > std::chrono::hours(24)) {
    return core::fail(core::Errc::usage,
                      "--window: expected whole minutes between 1m and 24h, got \"" + text + "\"");
  }
  return std::chrono::duration_cast<std::chrono::minutes>(*duration);
}

// --at TIME, or the clock.
core::Result<plan::Instant>
evaluation_instant(const std::string& at)
{
  if (at.empty()) {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }
  return plan::parse_instant(at);
}

int
exit_code_for(const exec::RunResult& result, std::optional<double> fail_under)
{
  switch (result.outcome) {
  case exec::Outcome::interrupted:
    return k_exit_interrupted;
  case exec::Outcome::unreachable:
    return k_exit_unreachable;
  case exec::Outcome::setup_failed:
    return k_exit_usage;
  case exec::Outcome::completed:
    break;
  }
  const report::Totals& totals = result.report.totals;
  if (totals.failed == 0) {
    return k_exit_ok;
  }
  if (!fail_under) {
    return k_exit_keys_failed;
  }
  const double succeeded = static_cast<double>(totals.written + totals.skipped);
  const double percent = 100.0 * succeeded / static_cast<double>(totals.planned);
  return percent < *fail_under ? k_exit_keys_failed : k_exit_ok;
}

// The plan options a run's command line asks for. Errors: Errc::usage naming the option.
core::Result<plan::PlanOptions>
plan_options(const RunArgs& args)
{
  plan::PlanOptions options;
  options.groups = args.groups;
  options.concurrency = args.concurrency;
  options.batch = args.batch;
  options.due = args.due;
  core::Result<plan::Instant> now = evaluation_instant(args.at);
  if (!now) {
    return core::fail(core::Errc::usage, "--at: " + now.error().message);
  }
  CW_TRY_ASSIGN(options.window, parse_window(args.window));
  options.now = *now;
  if (!args.rate.empty()) {
    core::Result<manifest::Rate> rate = manifest::parse_rate(args.rate);
    if (!rate) {
      return core::fail(core::Errc::usage, "--rate: " + rate.error().message);
    }
    options.rate = *rate;
  }
  return options;
}

// Writes the report to --report (if given) and stdout. A report that cannot be written turns a
// success (0) or a keys-failed outcome (1) into 74: a run nobody can read about did not succeed.
int
emit_report(const report::Report& report, const std::string& report_file, int code)
{
  const std::string json = report::to_json(report) + "\n";
  bool lost = false;
  if (!report_file.empty()) {
    core::Result<void> written = write_report_file(report_file, json);
    if (!written) {
      print_error("--report " + report_file + ": " + written.error().message);
      lost = true;
    }
  }
  core::Result<void> printed = write_stdout(json);
  if (!printed) {
    print_error(printed.error().message);
    lost = true;
  }
  return lost && (code == k_exit_ok || code == k_exit_keys_failed) ? k_exit_output_lost : code;
}

// Logs why the run failed as a whole (one problem per line) and the closing status line.
void
log_outcome(const report::Report& report)
{
  std::string_view errors = report.error;
  while (!errors.empty()) {
    const std::size_t end = errors.find('\n');
    core::log(core::LogLevel::error, errors.substr(0, end));
    errors = end == std::string_view::npos ? std::string_view() : errors.substr(end + 1);
  }
  const report::Totals& totals = report.totals;
  core::log(core::LogLevel::info,
            std::string("status ") + std::string(report::to_string(report.status)) + ": written "
                + std::to_string(totals.written) + ", skipped " + std::to_string(totals.skipped)
                + ", failed " + std::to_string(totals.failed) + " of "
                + std::to_string(totals.planned) + " planned");
}

// --resume: opens the state file of this manifest. Errors: Errc::usage with --dry-run, else
// the state file's errors.
core::Result<exec::Checkpoint>
open_checkpoint(const RunArgs& args, const std::optional<core::Shard>& shard)
{
  if (args.dry_run) {
    return core::fail(core::Errc::usage,
                      "--resume cannot be combined with --dry-run (a dry run records no progress)");
  }
  CW_TRY_ASSIGN(const std::string digest, exec::digest_file(args.manifest));
  // Each shard keeps its own state, so shards of one manifest can share a --resume path.
  const std::string path = shard ? core::shard_path(args.resume, *shard) : args.resume;
  return exec::Checkpoint::open(path, args.manifest, digest);
}

// Runs the plan with a progress line when asked for; returns the run's result.
exec::RunResult
execute(const RunArgs& args,
        const manifest::Manifest& manifest,
        const plan::Plan& plan,
        exec::Checkpoint* checkpoint,
        std::size_t max_value_size,
        const std::optional<core::Shard>& shard)
{
  install_signal_handlers();
  exec::Progress progress;
  exec::RunOptions options;
  options.checkpoint = checkpoint;
  options.shard = shard;
  options.max_value_size = max_value_size;
  if (args.max_memory_use) {
    options.max_memory_use = *args.max_memory_use / 100.0;
  }
  options.dry_run = args.dry_run;
  options.stop = &g_stop;
  options.progress = &progress;
  const bool show_progress =
      args.progress == "always" || (args.progress == "auto" && isatty(STDERR_FILENO) == 1);
  std::optional<ProgressLine> line;
  if (show_progress) {
    line.emplace(plan, progress);
  }
  return exec::run(manifest, plan, options);
}

int
command_run(const RunArgs& args)
{
  core::configure_log(args.log_format == "json" ? core::LogFormat::json : core::LogFormat::text,
                      core::LogLevel::info);
  core::Result<plan::PlanOptions> options = plan_options(args);
  if (!options) {
    print_error(options.error().message);
    return k_exit_usage;
  }
  core::Result<std::size_t> max_value_size = manifest::parse_size(args.max_value_size);
  if (!max_value_size || *max_value_size == 0) {
    print_error("--max-value-size: "
                + (max_value_size ? std::string("must be at least 1 byte")
                                  : max_value_size.error().message));
    return k_exit_usage;
  }
  std::optional<core::Shard> shard;
  if (args.shard) {
    core::Result<core::Shard> parsed = core::parse_shard(*args.shard, manifest::process_env());
    if (!parsed) {
      print_error(parsed.error().message);
      return k_exit_usage;
    }
    shard = *parsed;
  }
  const manifest::LoadResult loaded =
      manifest::load_manifest(args.manifest, manifest::process_env());
  if (!loaded.manifest) {
    print_diagnostics(loaded.diagnostics);
    print_error(args.manifest + ": invalid manifest, nothing was written");
    return k_exit_usage;
  }
  const manifest::Manifest& manifest = *loaded.manifest;
  const auto plan = plan::make_plan(manifest, *options);
  if (!plan) {
    print_diagnostics(plan.error());
    print_error("nothing was written");
    return k_exit_usage;
  }

  // Two runs of one manifest never load at once (cron finding the previous run still going).
  std::optional<exec::RunLock> lock;
  if (!args.dry_run) {
    // Shards have locks of their own: two shards of one manifest may run on one host at once.
    std::string lock_path = args.lock.empty() ? exec::default_lock_path(args.manifest) : args.lock;
    if (shard && args.lock.empty()) {
      lock_path = core::shard_path(lock_path, *shard);
    }
    core::Result<exec::RunLock> acquired = exec::RunLock::acquire(lock_path);
    if (!acquired) {
      print_error(acquired.error().message);
      if (acquired.error().code != core::Errc::locked) {
        return k_exit_usage;
      }
      // Cron and CI parse stdout: the refusal is a report too.
      report::Report refused = exec::refused_report(manifest, *plan, acquired.error().message);
      refused.shard = shard;
      return emit_report(refused, args.report_file, k_exit_locked);
    }
    lock.emplace(std::move(*acquired));
  }

  // --resume: what an earlier run of this manifest finished is skipped.
  std::optional<exec::Checkpoint> checkpoint;
  if (!args.resume.empty()) {
    core::Result<exec::Checkpoint> opened = open_checkpoint(args, shard);
    if (!opened) {
      print_error(opened.error().message);
      return k_exit_usage;
    }
    checkpoint.emplace(std::move(*opened));
  }

  const exec::RunResult result =
      execute(args, manifest, *plan, checkpoint ? &*checkpoint : nullptr, *max_value_size, shard);
  if (result.outcome == exec::Outcome::setup_failed) {
    std::fwrite(result.report.error.data(), 1, result.report.error.size(), stderr);
    std::fputc('\n', stderr);
    print_error("nothing was written");
    return k_exit_usage;
  }
  const int code =
      emit_report(result.report, args.report_file, exit_code_for(result, args.fail_under));
  log_outcome(result.report);
  return code;
}

// Prints `problems` (one per line) and a count line to stderr.
void
print_problems(const std::vector<std::string>& problems, const std::string& path)
{
  for (const std::string& problem : problems) {
    std::fprintf(stderr, "%s\n", problem.c_str());
  }
  std::fprintf(stderr,
               "cachewarm: %zu problem%s in %s\n",
               problems.size(),
               problems.size() == 1 ? "" : "s",
               path.c_str());
}

std::vector<std::string>
to_lines(const std::vector<manifest::Diagnostic>& diagnostics)
{
  std::vector<std::string> lines;
  for (const manifest::Diagnostic& diagnostic : diagnostics) {
    lines.push_back(diagnostic.to_string());
  }
  return lines;
}

// Everything `run` checks before writing, without connecting to any target.
int
command_validate(const std::string& path)
{
  const manifest::LoadResult loaded = manifest::load_manifest(path, manifest::process_env());
  if (!loaded.manifest) {
    print_problems(to_lines(loaded.diagnostics), path);
    return k_exit_usage;
  }
  const manifest::Manifest& manifest = *loaded.manifest;
  const auto plan = plan::make_plan(manifest, {});
  if (!plan) {
    print_problems(to_lines(plan.error()), path);
    return k_exit_usage;
  }
  const exec::CheckResult checked = exec::check(manifest, *plan);
  if (!checked.problems.empty()) {
    print_problems(checked.problems, path);
    return checked.source_unreachable ? k_exit_unreachable : k_exit_usage;
  }
  std::printf("%s: ok (%zu groups, %zu targets, %zu sources)\n",
              path.c_str(),
              manifest.groups.size(),
              manifest.targets.size(),
              manifest.sources.size());
  return k_exit_ok;
}

// What the command line names that `app` does not know, in words (with the nearest known name),
// or empty when everything is known and CLI11's own message should be shown: an unknown
// subcommand, or options the chosen subcommand does not have.
std::string
unknown_words(CLI::App& app, int argc, char** argv)
{
  if (argc < 2) {
    return {};
  }
  std::vector<std::string> commands;
  CLI::App* chosen = nullptr;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    commands.push_back(sub->get_name());
    if (sub->get_name() == argv[1]) {
      chosen = sub;
    }
  }
  const std::string first = argv[1];
  auto did_you_mean = [](const std::string& near) {
    return near.empty() ? std::string() : " (did you mean \"" + near + "\"?)";
  };
  if (chosen == nullptr) {
    if (first.empty() || first[0] == '-') {
      return {};
    }
    return "unknown command \"" + first + "\"" + did_you_mean(nearest(first, commands))
           + "; commands: " + CLI::detail::join(commands, ", ");
  }
  std::vector<std::string> known = {"--help"};
  std::vector<std::string> shorts = {"-h"};
  for (const CLI::Option* option : chosen->get_options()) {
    for (const std::string& name : option->get_lnames()) {
      known.push_back("--" + name);
    }
    for (const std::string& name : option->get_snames()) {
      shorts.push_back("-" + name);
    }
  }
  std::string message;
  for (int i = 2; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") {
      break;
    }
    const std::string name = word.substr(0, word.find('='));
    const bool is_long = name.size() > 2 && name.compare(0, 2, "--") == 0;
    const bool is_short = name.size() == 2 && name[0] == '-' && name[1] != '-';
    if ((is_long && std::find(known.begin(), known.end(), name) == known.end())
        || (is_short && std::find(shorts.begin(), shorts.end(), name) == shorts.end())) {
      message += (message.empty() ? "" : "; ") + std::string("unknown option ") + name + " for \""
                 + chosen->get_name() + "\"" + did_you_mean(nearest(name, known));
    }
  }
  return message;
}

// Declares subcommand `name` (described by `about`) on `app` with its required MANIFEST
// argument, parsed into `manifest` (which must outlive `app`).
CLI::App*
add_manifest_command(CLI::App& app,
                     const std::string& name,
                     const std::string& about,
                     std::string& manifest)
{
  CLI::App* command = app.add_subcommand(name, about);
  command->add_option("manifest", manifest, "Manifest file (YAML)")->required();
  return command;
}

// Declares `run` and its options on `app`, parsed into `args` (which must outlive `app`).
CLI::App*
add_run_command(CLI::App& app, RunArgs& run_args)
{
  CLI::App* run = add_manifest_command(
      app, "run", "Warm the manifest's groups and print a JSON report", run_args.manifest);
  run->add_option("-g,--group", run_args.groups, "Run only this group (repeatable)")
      ->allow_extra_args(false);
  run->add_flag("--dry-run", run_args.dry_run, "Resolve keys and values but write nothing");
  run->add_option("--rate",
                  run_args.rate,
                  "Override every group's rate (N/s, N/m, unlimited, or auto: adaptive)");
  run->add_option("--concurrency", run_args.concurrency, "Override connections per target")
      ->check(CLI::Range(1, 1024));
  run->add_option("--batch", run_args.batch, "Override commands per pipelined batch")
      ->check(CLI::Range(1, 100000));
  run->add_option("--report", run_args.report_file, "Also write the JSON report to FILE");
  run->add_option("--progress", run_args.progress, "Progress line on stderr")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  run->add_option("--fail-under",
                  run_args.fail_under,
                  "Exit 1 only if fewer than PCT% of planned keys were written or skipped")
      ->check(CLI::Range(0.0, 100.0));
  run->add_option("--log-format", run_args.log_format, "Log lines on stderr as text or json")
      ->check(CLI::IsMember({"text", "json"}));
  run->add_flag("--due", run_args.due, "Run only the groups whose schedule is due now (or --at)");
  run->add_option("--at", run_args.at, "Evaluate schedules at this ISO 8601 instant, not now");
  run->add_option("--window",
                  run_args.window,
                  "How often run --due is invoked; cron schedules due within it run (default 5m)");
  run->add_option("--lock", run_args.lock, "Lock file (default: derived from the manifest path)");
  run->add_option("--max-value-size",
                  run_args.max_value_size,
                  "Refuse values bigger than this per key (kind too_large; default 64MiB)");
  run->add_option("--max-memory-use",
                  run_args.max_memory_use,
                  "Cut a group that would fill a target past PCT% of its maxmemory (memory_limit)")
      ->check(CLI::Range(1.0, 100.0));
  run->add_option("--resume",
                  run_args.resume,
                  "State file: record progress, and skip what an earlier run finished");
  run->add_option("--shard",
                  run_args.shard,
                  "Warm only shard I of N (I/N, or auto/N from JOB_COMPLETION_INDEX): N runs "
                  "together warm every key once");
  return run;
}

// The options of `plan` and `cron`; one window and shard text serve both, as only one
// subcommand is parsed.
struct ScheduleArgs {
  PlanCommandArgs plan;
  CronCommandArgs cron;
  std::string window = "5m";
  std::optional<std::string> shard; // plan --shard
};

struct ScheduleCommands {
  CLI::App* plan;
  CLI::App* cron;
};

// Declares `plan` and `cron` on `app`, parsed into `args` (which must outlive `app`).
ScheduleCommands
add_schedule_commands(CLI::App& app, ScheduleArgs& args)
{
  CLI::App* plan =
      add_manifest_command(app,
                           "plan",
                           "Show which groups are due and why, next runs and key counts",
                           args.plan.manifest);
  plan->add_option("--at", args.plan.at, "Evaluate schedules at this ISO 8601 instant");
  plan->add_flag("--json", args.plan.json, "One JSON document instead of a table");
  plan->add_option("--window", args.window, "The run --due invocation interval (5m)");
  plan->add_option(
      "--shard", args.shard, "Plan shard I of N (I/N or auto/N): key counts become estimates");

  CLI::App* cron =
      add_manifest_command(app,
                           "cron",
                           "Print crontab lines (or systemd units) that run --due in time",
                           args.cron.manifest);
  cron->add_flag("--systemd", args.cron.systemd, "Print a .service and a .timer unit");
  cron->add_option("--binary", args.cron.binary, "The cachewarm to invoke (default: this one)");
  cron->add_option("--window", args.window, "How often to invoke run --due (5m)");
  return ScheduleCommands{plan, cron};
}

// Runs whichever of `plan` and `cron` was parsed, after checking its window and shard.
int
run_schedule_command(const ScheduleCommands& commands, ScheduleArgs& args)
{
  core::Result<std::chrono::minutes> window = parse_window(args.window);
  if (!window) {
    print_error(window.error().message);
    return k_exit_usage;
  }
  if (commands.cron->parsed()) {
    args.cron.window = *window;
    return command_cron(args.cron);
  }
  args.plan.window = *window;
  if (args.shard) {
    core::Result<core::Shard> shard = core::parse_shard(*args.shard, manifest::process_env());
    if (!shard) {
      print_error(shard.error().message);
      return k_exit_usage;
    }
    args.plan.shard = *shard;
  }
  return command_plan(args.plan);
}

int
run_cli(int argc, char** argv)
{
  CLI::App app{"cachewarm: warm Redis caches before traffic arrives", "cachewarm"};
  app.set_version_flag("--version", std::string("cachewarm ") + CACHEWARM_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 keys failed (see --fail-under), 2 usage or manifest error,\n"
             "3 target or source unreachable, 70 internal error, 74 the report could not be\n"
             "written, 75 another run holds the lock, 130 interrupted.\n"
             "See man cachewarm(1).");

  RunArgs run_args;
  CLI::App* run = add_run_command(app, run_args);

  ScheduleArgs schedule_args;
  const ScheduleCommands schedules = add_schedule_commands(app, schedule_args);

  std::string validate_path;
  CLI::App* validate = add_manifest_command(
      app, "validate", "Check a manifest and list every problem (file:line:column)", validate_path);

  PredictArgs predict_args;
  CLI::App* predict_command = add_predict_command(app, predict_args);
  EvaluateArgs evaluate_args;
  CLI::App* evaluate_command = add_evaluate_command(app, evaluate_args);

  SnapshotArgs snapshot_args;
  CLI::App* snapshot_command = add_snapshot_command(app, snapshot_args);

  CLI::App* version = app.add_subcommand("version", "Print the version");

  // libcurl's global state must be set up before any thread exists.
  sources::http_global_init();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (const std::string unknown = unknown_words(app, argc, argv); !unknown.empty()) {
      print_error(unknown + " (see cachewarm --help)");
      return k_exit_usage;
    }
    const int code = app.exit(error);
    return code == 0 ? k_exit_ok : k_exit_usage;
  }
  if (run->parsed()) {
    return command_run(run_args);
  }
  if (validate->parsed()) {
    return command_validate(validate_path);
  }
  if (schedules.plan->parsed() || schedules.cron->parsed()) {
    return run_schedule_command(schedules, schedule_args);
  }
  if (snapshot_command->parsed()) {
    install_signal_handlers();
    return command_snapshot(snapshot_args, g_stop);
  }
  if (predict_command->parsed()) {
    return command_predict(predict_args);
  }
  if (evaluate_command->parsed()) {
    return command_evaluate(evaluate_args);
  }
  if (version->parsed()) {
    std::printf("cachewarm %s\n", CACHEWARM_VERSION);
    return k_exit_ok;
  }
  return k_exit_usage;
}

} // namespace

int
run(int argc, char** argv)
{
  int code = k_exit_internal;
  try {
    code = run_cli(argc, argv);
  } catch (const std::exception& error) {
    print_error(std::string("internal error: ") + error.what());
  }
  // Every source and thread is gone by now (LeakSanitizer-quiet exit).
  sources::http_global_cleanup();
  return code;
}

} // namespace cachewarm::cli
