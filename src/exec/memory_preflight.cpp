#include "cachewarm/exec/memory_preflight.hpp"

#include "cachewarm/core/log.hpp"

namespace cachewarm::exec {

namespace {

// `123.4 MB`, for messages.
std::string
format_mb(std::uint64_t bytes)
{
  const auto tenths = static_cast<std::uint64_t>(static_cast<double>(bytes) / 100000.0 + 0.5);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MB";
}

} // namespace

MemoryCheck
start_memory_check(std::span<sinks::Sink* const> targets,
                   sources::KeySource& keys,
                   std::uint64_t rows_done)
{
  MemoryCheck check;
  for (sinks::Sink* target : targets) {
    core::Result<std::unique_ptr<sinks::HealthProbe>> probe = target->probe();
    if (!probe || !*probe) {
      continue; // a dry run, or unreachable (the workers report that)
    }
    core::Result<sinks::TargetStats> stats = (*probe)->stats();
    if (stats && stats->maxmemory > 0) {
      check.limited.push_back(MemoryCheck::Limited{target->name(), std::move(*stats)});
    }
  }
  if (!check.limited.empty()) {
    core::Result<std::optional<std::uint64_t>> rows = keys.count();
    if (!rows) {
      core::log(core::LogLevel::warning, "memory pre-flight: " + rows.error().message);
    } else if (*rows) {
      check.rows = **rows > rows_done ? **rows - rows_done : 0;
    }
  }
  return check;
}

MemoryJudgement
judge_memory(const MemoryCheck& check,
             std::span<const core::Entry> sample,
             std::uint64_t sample_rows,
             std::optional<double> max_memory_use,
             const std::string& group,
             const MemoryEstimator& estimate)
{
  MemoryJudgement judgement;
  if (check.limited.empty() || !check.rows || sample.empty() || sample_rows == 0) {
    return judgement;
  }
  std::uint64_t sample_bytes = 0;
  for (const core::Entry& entry : sample) {
    sample_bytes += estimate(entry);
  }
  // Per row, not per entry: a set, zset or list is built from many rows.
  const double rows = static_cast<double>(*check.rows);
  const double per_row = static_cast<double>(sample_bytes) / static_cast<double>(sample_rows);
  const double keys_per_row = static_cast<double>(sample.size()) / static_cast<double>(sample_rows);
  const auto bytes = static_cast<std::uint64_t>(per_row * rows);
  judgement.estimated_bytes = bytes;
  judgement.keys = static_cast<std::uint64_t>(keys_per_row * rows + 0.5);
  for (const MemoryCheck::Limited& target : check.limited) {
    const sinks::TargetStats& stats = target.stats;
    const std::uint64_t projected = stats.used_memory + bytes;
    const double share = static_cast<double>(projected) / static_cast<double>(stats.maxmemory);
    const std::string share_text = std::to_string(static_cast<int>(share * 100.0 + 0.5)) + "%";
    const std::string what = "about " + format_mb(bytes) + " for " + std::to_string(judgement.keys)
                             + " keys would take target " + target.target + " from "
                             + format_mb(stats.used_memory) + " to " + share_text
                             + " of its maxmemory " + format_mb(stats.maxmemory);
    if (max_memory_use && share > *max_memory_use) {
      const int limit = static_cast<int>(*max_memory_use * 100.0 + 0.5);
      judgement.cut = "cut: " + what + " (over --max-memory-use " + std::to_string(limit) + "%)";
      return judgement;
    }
    if (share > 1.0) {
      const std::string consequence =
          stats.maxmemory_policy == "noeviction" || stats.maxmemory_policy.empty()
              ? "writes will fail with OOM once it is full"
              : "it will evict live keys (" + stats.maxmemory_policy + ")";
      core::log(core::LogLevel::warning,
                "group " + group + ": " + what + ": " + consequence
                    + " (--max-memory-use PCT cuts the group instead)");
    }
  }
  return judgement;
}

} // namespace cachewarm::exec
