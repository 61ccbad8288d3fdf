#include "snapshot_command.hpp"

#include "exit_codes.hpp"
#include "output.hpp"
#include "progress_line.hpp"

#include "cachewarm/exec/open_group.hpp"
#include "cachewarm/manifest/diagnostic.hpp"
#include "cachewarm/manifest/parse.hpp"
#include "cachewarm/manifest/units.hpp"
#include "cachewarm/sinks/snapshot.hpp"
#include "cachewarm/sources/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace cachewarm::cli {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t
unix_ms_now()
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The target named `name`, or a message listing the manifest's targets.
const manifest::TargetSpec*
find_target(const manifest::Manifest& manifest, const std::string& name, std::string& why)
{
  if (const manifest::TargetSpec* target = manifest.find_target(name)) {
    return target;
  }
  std::string names;
  for (const manifest::TargetSpec& target : manifest.targets) {
    names += (names.empty() ? "" : ", ") + target.name;
  }
  why = "--target: no target \"" + name + "\" in " + manifest.path + " (targets: " + names + ")";
  return nullptr;
}

// The status line on stderr, redrawn at most four times a second.
class SnapshotProgress {
public:
  explicit SnapshotProgress(bool shown)
      : m_shown(shown)
      , m_start(Clock::now())
  {}

  ~SnapshotProgress()
  {
    if (m_drawn) {
      std::fputs("\r\033[K", stderr);
    }
  }

  SnapshotProgress(const SnapshotProgress&) = delete;
  SnapshotProgress& operator=(const SnapshotProgress&) = delete;

  void update(std::uint64_t examined, std::uint64_t total)
  {
    const Clock::time_point now = Clock::now();
    if (!m_shown || now - m_last < std::chrono::milliseconds(250)) {
      return;
    }
    m_last = now;
    const double seconds = std::chrono::duration<double>(now - m_start).count();
    ProgressState state;
    state.group = 1;
    state.groups = 1;
    state.name = "snapshot";
    state.done = examined;
    state.total = total;
    state.keys_per_second = seconds > 0 ? static_cast<double>(examined) / seconds : 0.0;
    const std::string line = "\r\033[K" + progress_text(state);
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    m_drawn = true;
  }

private:
  bool m_shown;
  bool m_drawn = false;
  Clock::time_point m_start;
  Clock::time_point m_last{};
};

std::string
file_text(const SnapshotArgs& args, const sinks::SnapshotResult& result, std::int64_t taken_at)
{
  sources::SnapshotHeader header;
  header.target = args.target;
  header.server = result.server;
  header.taken_at_ms = taken_at;
  header.ranked_by = result.ranked_by;
  header.maxmemory_policy = result.maxmemory_policy;
  header.keys_in_db = result.keys_in_db;
  header.examined = result.examined;
  header.sampled = result.sampled;
  header.match = args.match;
  header.values = args.values;
  std::string text = sources::snapshot_header_line(header);
  for (const sources::SnapshotKey& key : result.keys) {
    text += sources::snapshot_key_line(key, result.ranked_by);
  }
  return text;
}

} // namespace

CLI::App*
add_snapshot_command(CLI::App& app, SnapshotArgs& args)
{
  CLI::App* command = app.add_subcommand(
      "snapshot", "Record the hottest keys of a live Redis target into a snapshot file");
  command->add_option("manifest", args.manifest, "Manifest file (YAML) naming the target")
      ->required();
  command->add_option("--target", args.target, "The manifest's target to read")->required();
  command->add_option("--out", args.out, "The snapshot file to write (JSON Lines)")->required();
  command->add_option("--top", args.top, "Keep the K hottest keys (1000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  command->add_option(
      "--sample", args.sample, "Stop after examining N keys (a sample; default: every key)");
  command->add_option("--match", args.match, "Only keys matching this SCAN MATCH pattern");
  command->add_flag(
      "--values", args.values, "Also DUMP the kept keys, for value: {restore: snapshot}");
  command->add_option(
      "--rate",
      args.rate,
      "Keys examined (then kept keys read) per second: N, N/s, N/m or unlimited (20000/s)");
  command->add_option("--progress", args.progress, "Progress line on stderr")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  return command;
}

int
command_snapshot(const SnapshotArgs& args, const std::atomic<bool>& stop)
{
  // A bare number is per second.
  const bool bare =
      !args.rate.empty() && args.rate.find_first_not_of("0123456789.") == std::string::npos;
  const bool zero = bare && args.rate.find_first_not_of("0.") == std::string::npos;
  const core::Result<manifest::Rate> rate =
      manifest::parse_rate(zero ? "unlimited" : args.rate + (bare ? "/s" : ""));
  if (!rate || rate->adaptive) {
    print_error("--rate: "
                + (rate ? std::string("auto is not supported here") : rate.error().message));
    return k_exit_usage;
  }
  const manifest::LoadResult loaded =
      manifest::load_manifest(args.manifest, manifest::process_env());
  if (!loaded.manifest) {
    print_diagnostics(loaded.diagnostics);
    print_error(args.manifest + ": invalid manifest");
    return k_exit_usage;
  }
  std::string why;
  const manifest::TargetSpec* target = find_target(*loaded.manifest, args.target, why);
  if (target == nullptr) {
    print_error(why);
    return k_exit_usage;
  }
  sinks::SnapshotOptions options;
  options.top = args.top;
  options.sample = args.sample;
  options.match = args.match;
  options.values = args.values;
  options.rate = rate->per_second;
  SnapshotProgress progress(args.progress == "always"
                            || (args.progress == "auto" && isatty(STDERR_FILENO) == 1));
  options.progress = [&](std::uint64_t examined, std::uint64_t total) {
    progress.update(examined, total);
  };
  const Clock::time_point start = Clock::now();
  const core::Result<sinks::SnapshotResult> result =
      sinks::take_snapshot(exec::redis_options(*target, &stop), options);
  if (!result) {
    print_error(result.error().message
                + (result.error().code == core::Errc::interrupted
                       ? " (" + args.out + " not written)"
                       : ""));
    return result.error().code == core::Errc::interrupted ? k_exit_interrupted
           : result.error().code == core::Errc::manifest  ? k_exit_usage
                                                          : k_exit_unreachable;
  }
  if (core::Result<void> written =
          write_report_file(args.out, file_text(args, *result, unix_ms_now()));
      !written) {
    print_error("--out " + args.out + ": " + written.error().message);
    return k_exit_output_lost;
  }
  const nlohmann::json summary = {
      {"target", args.target},
      {"out", args.out},
      {"ranked_by", result->ranked_by},
      {"maxmemory_policy", result->maxmemory_policy},
      {"keys_in_db", result->keys_in_db},
      {"examined", result->examined},
      {"kept", result->keys.size()},
      {"vanished", result->vanished},
      {"sampled", result->sampled},
      {"values", args.values},
      {"seconds", std::chrono::duration<double>(Clock::now() - start).count()}};
  return print_output(summary.dump(2) + "\n", "the summary");
}

} // namespace cachewarm::cli
