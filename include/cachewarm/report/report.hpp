#pragma once

#include "cachewarm/core/shard.hpp"
#include "cachewarm/core/types.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::report {

struct LatencySummary {
  double p50 = 0.0;
  double p95 = 0.0;
  double p99 = 0.0;
};

// Failures of one kind: how many, and a few examples ("key: message").
struct ErrorSummary {
  std::string kind;
  std::uint64_t count = 0;
  std::vector<std::string> samples;
};

// Counts failures by kind, keeping at most `k_max_samples` examples of each. Mergeable.
class ErrorTally {
public:
  static constexpr std::size_t k_max_samples = 5;

  void add(const core::Failure& failure);
  // Counts `count` failures of `kind` with one example.
  void add(std::string_view kind, std::uint64_t count, std::string_view sample);
  void merge(const ErrorTally& other);
  std::uint64_t total() const;
  // Sorted by count (descending), then kind.
  std::vector<ErrorSummary> summaries() const;

private:
  std::vector<ErrorSummary> m_kinds;
};

// What adaptive throttling did on one target in one group.
struct ThrottleReport {
  double final_rate = 0.0; // keys/s when the group ended
  double min_rate = 0.0;
  double max_rate = 0.0;
  double probe_idle_ms = 0.0;    // p90 of the PINGs before writing (or at the last re-baseline)
  double probe_limit_ms = 0.0;   // strain above this
  LatencySummary probe_ms;       // PINGs while writing
  std::uint64_t intervals = 0;   // control intervals judged
  std::uint64_t rebaselines = 0; // pauses that measured the idle latency again
  std::uint64_t backoffs_latency = 0;
  std::uint64_t backoffs_probe = 0;
  std::uint64_t backoffs_memory = 0;
  std::uint64_t backoffs_evictions = 0;
};

// Counts are per key and target: a group writing 10 keys to 2 targets plans 20 writes.
// A sentinel target during one group: the masters written to (in order, `127.0.0.1:6380`) and
// how often the master changed.
struct SentinelReport {
  std::vector<std::string> masters;
  std::uint64_t failovers = 0;
};

// A cluster target's node during one group: a master (now, or when the group started), the
// slots it serves now, and what the group did there.
struct NodeReport {
  std::string address; // `127.0.0.1:7000`
  std::uint64_t slots = 0;
  std::uint64_t written = 0;
  std::uint64_t failed = 0;
  std::uint64_t moved = 0;     // -MOVED redirections it answered
  std::uint64_t ask = 0;       // -ASK redirections it answered
  std::uint64_t failovers = 0; // times a replica took its slots over
};

struct TargetReport {
  std::string name;
  std::uint64_t written = 0;
  std::uint64_t skipped = 0;
  std::uint64_t failed = 0;
  LatencySummary batch_latency_ms;        // each write round trip (a batch, or a throttled slice)
  std::optional<ThrottleReport> throttle; // groups with `rate: auto` or `throttle:`
  std::optional<bool> tls_verify;         // TLS targets: `"tls": {"verify": ...}`
  std::optional<SentinelReport> sentinel; // sentinel targets: `"masters"`, `"failovers"`
  std::optional<std::vector<NodeReport>> nodes; // cluster targets: `"nodes"`
};

// One group of the plan, as the report shows it (`groups[]`). A group that did not run (not due,
// cut by its deadline or the memory pre-flight, completed by an earlier resumed run, refused by
// the lock, interrupted before it started, all targets down) has ran = false, zero counts and
// its reason; a group that ran counts every key once per target it was meant for, so
// planned == written + skipped + failed always holds, and `errors` sums to `failed`.
struct GroupReport {
  std::string name;
  bool ran = false;
  std::string reason; // why it ran or not, with what happened (`; stopped: ...`, `; resumed ...`)
  std::uint64_t planned = 0; // == written + skipped + failed
  std::uint64_t written = 0;
  std::uint64_t skipped = 0;
  std::uint64_t failed = 0;
  std::uint64_t bytes = 0;
  std::chrono::milliseconds duration{0};
  // Scheduled runs only: the peak start the group had to be warm by, and whether it was.
  std::optional<std::chrono::sys_time<std::chrono::milliseconds>> ready_by;
  std::optional<bool> deadline_met;
  std::optional<std::chrono::system_clock::time_point> finished_at; // groups that ran
  std::vector<TargetReport> targets;
  std::vector<ErrorSummary> errors;
  // The memory pre-flight's estimate of what the group adds to each target (when a target has
  // maxmemory or --max-memory-use is given).
  std::optional<std::uint64_t> estimated_bytes;
};

// The sums over every group (report::compute_totals), and the write rate over the run's wall time.
struct Totals {
  std::uint64_t planned = 0;
  std::uint64_t written = 0;
  std::uint64_t skipped = 0;
  std::uint64_t failed = 0;
  std::uint64_t bytes = 0;
  double keys_per_sec = 0.0;
};

enum class Status { ok, partial, failed, interrupted };

// The JSON document `run` prints (report/json.cpp serialises it; field order and names are the
// contract of DESIGN.md and `cachewarm schema`). Plain data: filled by exec::run (or
// exec::refused_report), totals and status set last. Never holds a secret: URLs are redacted by
// the sinks and sources that describe them.
struct Report {
  static constexpr int k_schema_version = 1;
  std::string version;
  std::string manifest;
  Status status = Status::ok;
  bool dry_run = false;
  std::optional<core::Shard> shard; // run --shard I/N
  std::chrono::system_clock::time_point started_at;
  std::chrono::system_clock::time_point finished_at;
  Totals totals;
  std::vector<GroupReport> groups;
  std::string error; // why the run failed as a whole (empty when it did not)
};

// Sums the groups into `report.totals` (keys_per_sec over the run's wall time).
void compute_totals(Report& report);

std::string_view to_string(Status status);

// ISO 8601 UTC with milliseconds: 2026-11-21T23:47:26.123Z.
std::string format_utc(std::chrono::system_clock::time_point time);

} // namespace cachewarm::report
