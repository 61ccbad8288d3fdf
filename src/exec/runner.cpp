#include "cachewarm/exec/runner.hpp"

#include "cachewarm/core/assert.hpp"
#include "cachewarm/core/clock.hpp"
#include "cachewarm/core/histogram.hpp"
#include "cachewarm/core/log.hpp"
#include "cachewarm/core/rate_limiter.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/exec/bounded_queue.hpp"
#include "cachewarm/exec/checkpoint.hpp"
#include "cachewarm/exec/throttle.hpp"
#include "cachewarm/manifest/diagnostic.hpp"
#include "cachewarm/sinks/redis.hpp"
#include "cachewarm/sinks/redis_command.hpp"
#include "cachewarm/sinks/redis_url.hpp"
#include "cachewarm/sources/generated.hpp"
#include "cachewarm/sources/http.hpp"
#include "cachewarm/sources/key_lists.hpp"
#include "cachewarm/sources/postgres.hpp"
#include "cachewarm/sources/sqlite.hpp"
#include "cachewarm/sources/values.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace cachewarm::exec {

namespace {

// A batch of entries shared by every target's queue; `seq` numbers it within its group.
struct Batch {
  std::shared_ptr<const std::vector<core::Entry>> entries;
  std::uint64_t seq = 0;
};

// Which batches every target acknowledged, so the state file only ever records a prefix of the
// key source whose keys are all in every target (batches complete out of order across workers).
class AckTracker {
public:
  // `on_advance(rows)` is called (under the tracker's lock) whenever the acknowledged prefix grows.
  AckTracker(std::uint64_t rows_done, std::function<void(std::uint64_t)> on_advance)
      : m_rows_done(rows_done)
      , m_on_advance(std::move(on_advance))
  {}

  // Registers batch `seq` (consecutive from 0), which ends at key-source row `rows_end` and
  // awaits `pending` acknowledgements (0: nothing to write, complete at once).
  void add(std::uint64_t seq, std::uint64_t rows_end, std::size_t pending)
  {
    std::lock_guard lock(m_mutex);
    CW_ASSERT(seq == m_base + m_pending.size());
    m_pending.push_back(Pending{rows_end, pending});
    advance_locked();
  }

  // One target acknowledged batch `seq`.
  void ack(std::uint64_t seq)
  {
    std::lock_guard lock(m_mutex);
    CW_ASSERT(seq >= m_base && seq - m_base < m_pending.size());
    --m_pending[seq - m_base].remaining;
    advance_locked();
  }

  // True when every registered batch was acknowledged by every target.
  bool complete() const
  {
    std::lock_guard lock(m_mutex);
    return m_pending.empty();
  }

  std::uint64_t rows_done() const
  {
    std::lock_guard lock(m_mutex);
    return m_rows_done;
  }

private:
  struct Pending {
    std::uint64_t rows_end = 0;
    std::size_t remaining = 0;
  };

  void advance_locked()
  {
    bool advanced = false;
    while (!m_pending.empty() && m_pending.front().remaining == 0) {
      m_rows_done = m_pending.front().rows_end;
      m_pending.pop_front();
      ++m_base;
      advanced = true;
    }
    if (advanced && m_on_advance) {
      m_on_advance(m_rows_done);
    }
  }

  mutable std::mutex m_mutex;
  std::deque<Pending> m_pending;
  std::uint64_t m_base = 0;
  std::uint64_t m_rows_done;
  std::function<void(std::uint64_t)> m_on_advance;
};
using Clock = std::chrono::steady_clock;

// A target as the run sees it: its sink, and whether it is still reachable.
struct TargetState {
  const manifest::TargetSpec* spec = nullptr;
  std::unique_ptr<sinks::Sink> sink;
  std::string unreachable; // non-empty once the target is known to be down (the reason)
};

// A group whose sources are open and whose templates are bound, ready to stream.
struct PreparedGroup {
  const plan::GroupPlan* plan = nullptr;
  std::unique_ptr<sources::KeySource> keys;
  std::unique_ptr<sources::ValueResolver> values;
};

struct WorkerStats {
  std::uint64_t written = 0;
  std::uint64_t skipped = 0;
  std::uint64_t failed = 0;
  std::uint64_t bytes = 0;
  report::ErrorTally errors;
  core::LatencyHistogram latency;
};

std::string
located(const manifest::Manifest& manifest, manifest::Location loc, const std::string& message)
{
  return manifest::Diagnostic{manifest.path, loc, message}.to_string();
}

sources::HttpOptions
http_options(const manifest::SourceSpec& source)
{
  sources::HttpOptions options;
  options.name = source.name;
  options.base_url = source.http.base_url;
  options.headers = source.http.headers;
  options.timeout = source.http.timeout;
  options.connect_timeout = source.http.connect_timeout;
  options.concurrency = source.http.concurrency;
  options.rate_per_second = source.http.rate.per_second;
  options.retries = source.http.retries;
  options.max_body = source.http.max_body;
  return options;
}

sources::KeyListFormat
key_list_format(manifest::KeyFormat format)
{
  switch (format) {
  case manifest::KeyFormat::lines:
    return sources::KeyListFormat::lines;
  case manifest::KeyFormat::jsonl:
    return sources::KeyListFormat::jsonl;
  case manifest::KeyFormat::csv:
    return sources::KeyListFormat::csv;
  case manifest::KeyFormat::json:
    return sources::KeyListFormat::json;
  case manifest::KeyFormat::sitemap:
    return sources::KeyListFormat::sitemap;
  }
  return sources::KeyListFormat::lines;
}

// The source a group's query or lookup names; validation guarantees it exists.
const manifest::SourceSpec&
named_source(const manifest::Manifest& manifest, const std::string& name)
{
  const manifest::SourceSpec* source = manifest.find_source(name);
  CW_ASSERT(source != nullptr);
  return *source;
}

core::Result<std::vector<core::Template>>
parse_templates(const std::vector<std::string>& texts)
{
  std::vector<core::Template> templates;
  for (const std::string& text : texts) {
    CW_TRY_ASSIGN(core::Template parsed, core::Template::parse(text));
    templates.push_back(std::move(parsed));
  }
  return templates;
}

// The group's key source (keys, pattern, query or keys_from), opened.
core::Result<std::unique_ptr<sources::KeySource>>
open_key_source(const manifest::Manifest& manifest, const manifest::GroupSpec& group)
{
  if (!group.keys.empty()) {
    return sources::make_literal_keys(group.keys);
  }
  if (!group.pattern.empty()) {
    CW_TRY_ASSIGN(const core::Template pattern, core::Template::parse(group.pattern));
    std::vector<sources::Dimension> dimensions;
    for (const manifest::PatternVar& var : group.with) {
      sources::Dimension dimension;
      dimension.name = var.name;
      if (var.range) {
        const manifest::Range range = *var.range;
        dimension.size = range.size();
        dimension.value_at = [range](std::uint64_t i, std::string& out) { out = range.at(i); };
      } else {
        dimension.size = var.values.size();
        dimension.value_at = [values = var.values](std::uint64_t i, std::string& out) {
          out = values[i];
        };
      }
      dimensions.push_back(std::move(dimension));
    }
    return sources::make_pattern_keys(pattern, std::move(dimensions));
  }
  if (group.query) {
    const manifest::SourceSpec& source = named_source(manifest, group.query->source);
    CW_TRY_ASSIGN(const core::Template key, core::Template::parse(group.key));
    if (source.kind == manifest::SourceKind::postgres) {
      return sources::open_postgres_query(source.postgres, group.query->sql, key);
    }
    return sources::open_sqlite_query(source.sqlite_path, group.query->sql, key);
  }
  CW_ASSERT(group.keys_from.has_value());
  const manifest::KeysFromSpec& from = *group.keys_from;
  sources::KeyListOptions options;
  options.format = key_list_format(from.format);
  options.field = from.field;
  if (!group.key.empty()) {
    CW_TRY_ASSIGN(core::Template key, core::Template::parse(group.key));
    options.key = std::move(key);
  }
  if (!from.file.empty()) {
    return sources::open_key_file(from.file, options);
  }
  const manifest::SourceSpec& source = named_source(manifest, from.source);
  const sources::HttpOptions http = http_options(source);
  CW_TRY_ASSIGN(std::string document, sources::http_fetch(http, from.get));
  // Messages name the path without its query string, which may hold a credential.
  const std::string path = from.get.substr(0, from.get.find('?'));
  return sources::parse_key_document(
      std::move(document), "http " + source.name + " GET " + path, options);
}

// The group's value resolver for rows with `fields`, opened.
core::Result<std::unique_ptr<sources::ValueResolver>>
open_value_resolver(const manifest::Manifest& manifest,
                    const manifest::ValueSpec& value,
                    const std::vector<std::string>& fields)
{
  switch (value.kind) {
  case manifest::ValueKind::column:
    return sources::make_column_value(value.column, fields);
  case manifest::ValueKind::hash:
    return sources::make_hash_value(value.hash_columns, fields);
  case manifest::ValueKind::text: {
    CW_TRY_ASSIGN(const core::Template text, core::Template::parse(value.text));
    return sources::make_text_value(text, fields);
  }
  case manifest::ValueKind::lookup_sql: {
    CW_TRY_ASSIGN(const std::vector<core::Template> params, parse_templates(value.params));
    const manifest::SourceSpec& source = named_source(manifest, value.source);
    if (source.kind == manifest::SourceKind::postgres) {
      return sources::open_postgres_lookup(source.postgres, value.sql, params, fields);
    }
    return sources::open_sqlite_lookup(source.sqlite_path, value.sql, params, fields);
  }
  case manifest::ValueKind::lookup_http: {
    CW_TRY_ASSIGN(const core::Template get, core::Template::parse(value.get));
    const manifest::SourceSpec& source = named_source(manifest, value.source);
    return sources::open_http_lookup(
        http_options(source), get, value.json_pointer, value.hash_from_json, fields);
  }
  case manifest::ValueKind::set:
    return sources::make_grouped_value(sources::Collection::set, value.member, {}, fields);
  case manifest::ValueKind::zset:
    return sources::make_grouped_value(
        sources::Collection::zset, value.member, value.score, fields);
  case manifest::ValueKind::list:
    return sources::make_grouped_value(sources::Collection::list, value.member, {}, fields);
  }
  return core::fail(core::Errc::internal, "unknown value kind");
}

// Opens the group's key source and value resolver. Errors carry the manifest location.
core::Result<PreparedGroup>
prepare_group(const manifest::Manifest& manifest, const plan::GroupPlan& group_plan)
{
  const manifest::GroupSpec& group = *group_plan.spec;
  const std::string where = "group \"" + group.name + "\"";
  auto error_at = [&](manifest::Location loc, const core::Error& error) {
    return tl::unexpected(
        core::Error{error.code, located(manifest, loc, where + ": " + error.message)});
  };
  PreparedGroup prepared;
  prepared.plan = &group_plan;
  core::Result<std::unique_ptr<sources::KeySource>> keys = open_key_source(manifest, group);
  if (!keys) {
    return error_at(group.query       ? group.query->loc
                    : group.keys_from ? group.keys_from->loc
                                      : group.keys_loc,
                    keys.error());
  }
  prepared.keys = std::move(*keys);
  core::Result<std::unique_ptr<sources::ValueResolver>> values =
      open_value_resolver(manifest, *group.value, prepared.keys->fields());
  if (!values) {
    return error_at(group.value->loc, values.error());
  }
  prepared.values = std::move(*values);
  return prepared;
}

// Throttled writes go in slices this small, so no single round trip holds the server (and
// the clients waiting behind it) for long: at most this many keys ...
constexpr std::size_t k_slice_keys = 8;
// ... and about this many bytes of keys and values.
constexpr std::uint64_t k_slice_bytes = 2 * 1024;

// The writers of one group to one target: a bounded queue of batches drained by `concurrency`
// workers (one when throttled), each owning its connection and its stats (merged after join).
class TargetLane {
public:
  TargetLane(TargetState& target,
             const plan::GroupPlan& group,
             const core::Clock& clock,
             const RunOptions& options,
             AckTracker& acks)
      : m_target(target)
      , m_acks(acks)
      , m_queue(group.concurrency * 2)
      , m_limiter(group.rate.per_second, clock)
      , m_options(options)
  {
    std::size_t workers = group.concurrency;
    if (group.throttle) {
      // Before any worker writes: the probe's idle baseline must not include our own traffic.
      m_throttle = std::make_unique<Throttle>(
          *target.sink, *group.throttle, group.rate.per_second, m_limiter);
      workers = 1; // one slice in flight at a time: the gentlest way to write
    }
    m_stats.resize(workers);
    for (std::size_t i = 0; i < workers; ++i) {
      m_workers.emplace_back([this, i] { work(m_stats[i]); });
    }
  }

  TargetLane(const TargetLane&) = delete;
  TargetLane& operator=(const TargetLane&) = delete;

  // False once the target became unreachable: the producer may stop feeding it.
  bool alive() const { return !m_dead.load(); }

  void push(const Batch& batch) { m_queue.push(batch); }

  // Closes the queue, waits for the workers and returns the merged stats.
  WorkerStats finish()
  {
    m_queue.close();
    for (std::jthread& worker : m_workers) {
      worker.join();
    }
    WorkerStats total;
    for (const WorkerStats& stats : m_stats) {
      total.written += stats.written;
      total.skipped += stats.skipped;
      total.failed += stats.failed;
      total.bytes += stats.bytes;
      total.errors.merge(stats.errors);
      total.latency.merge(stats.latency);
    }
    if (m_dead.load()) {
      std::lock_guard lock(m_error_mutex);
      m_target.unreachable = m_error;
    }
    if (m_throttle) {
      m_throttle_report = m_throttle->finish();
    }
    return total;
  }

  // After finish(): what adaptive throttling did (groups with a throttle only).
  const std::optional<report::ThrottleReport>& throttle_report() const { return m_throttle_report; }

private:
  void mark_dead(const std::string& error)
  {
    std::lock_guard lock(m_error_mutex);
    if (m_error.empty()) {
      m_error = error;
      // Logged now, while the run goes on; the report's `error` repeats it at the end.
      core::log(core::LogLevel::error, error);
    }
    m_dead.store(true);
  }

  void count_unreachable(WorkerStats& stats, std::span<const core::Entry> batch)
  {
    std::string error;
    {
      std::lock_guard lock(m_error_mutex);
      error = m_error;
    }
    stats.failed += batch.size();
    stats.errors.add("target_unreachable", batch.size(), batch.front().key + ": " + error);
    bump_progress(batch.size());
  }

  void bump_progress(std::uint64_t keys)
  {
    if (m_options.progress != nullptr) {
      m_options.progress->done.fetch_add(keys, std::memory_order_relaxed);
    }
  }

  bool stopping() const { return m_options.stop != nullptr && m_options.stop->load(); }

  void work(WorkerStats& stats)
  {
    if (m_throttle) {
      // A throttled writer uses spare CPU only, so on a host it shares with the server or the
      // server's clients it never delays them (the probe thread keeps its normal priority, so it
      // still measures what they see).
      const sched_param idle{};
      if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) != 0) {
        core::log(core::LogLevel::debug, "could not lower the writer's CPU priority");
      }
    }
    std::unique_ptr<sinks::SinkConnection> connection;
    if (!m_dead.load()) {
      core::Result<std::unique_ptr<sinks::SinkConnection>> opened = m_target.sink->connect();
      if (opened) {
        connection = std::move(*opened);
      } else {
        mark_dead(opened.error().message);
      }
    }
    while (std::optional<Batch> batch = m_queue.pop()) {
      const std::vector<core::Entry>& entries = *batch->entries;
      if (stopping()) {
        continue; // not started: not counted (the report covers what was attempted)
      }
      if (m_dead.load() || !connection) {
        count_unreachable(stats, entries);
        continue;
      }
      if (write_batch(*connection, entries, stats)) {
        // The server answered for every entry (written, skipped or refused): the batch is done.
        m_acks.ack(batch->seq);
      }
    }
  }

  // Where the slice of `entries` starting at `first` ends: the whole batch unthrottled, else at
  // most k_slice_keys keys and (past the first key) k_slice_bytes bytes.
  std::size_t slice_end(const std::vector<core::Entry>& entries, std::size_t first) const
  {
    if (!m_throttle) {
      return entries.size();
    }
    std::size_t end = first;
    std::uint64_t bytes = 0;
    while (end < entries.size() && end - first < k_slice_keys
           && (end == first || bytes < k_slice_bytes)) {
      bytes += entries[end].key.size() + core::value_size(entries[end].value);
      ++end;
    }
    return end;
  }

  // Writes one batch (in slices when throttled) under the rate limit. False when it did not
  // finish: the target became unreachable (the rest counted as such) or the run is stopping.
  bool write_batch(sinks::SinkConnection& connection,
                   const std::vector<core::Entry>& entries,
                   WorkerStats& stats)
  {
    for (std::size_t first = 0; first < entries.size();) {
      const std::size_t end = slice_end(entries, first);
      const std::span<const core::Entry> slice(entries.data() + first, end - first);
      if (m_throttle) {
        m_throttle->wait_if_paused();
      }
      const std::chrono::nanoseconds wait = m_limiter.reserve(slice.size());
      if (wait.count() > 0) {
        std::this_thread::sleep_for(wait);
      }
      if (stopping()) {
        return false; // the rest of the batch was not started: not counted
      }
      const Clock::time_point started = Clock::now();
      core::Result<sinks::BatchResult> result = connection.write(slice);
      if (!result) {
        mark_dead(result.error().message);
        count_unreachable(stats, std::span(entries).subspan(first));
        return false;
      }
      const std::chrono::nanoseconds took = Clock::now() - started;
      stats.latency.record(took);
      if (m_throttle) {
        m_throttle->record_write(took);
      }
      stats.written += result->written;
      stats.skipped += result->skipped;
      stats.bytes += result->bytes;
      stats.failed += result->failures.size();
      for (const core::Failure& failure : result->failures) {
        stats.errors.add(failure);
      }
      bump_progress(slice.size());
      first = end;
    }
    return true;
  }

  TargetState& m_target;
  AckTracker& m_acks;
  BoundedQueue<Batch> m_queue;
  core::RateLimiter m_limiter;
  std::vector<WorkerStats> m_stats;
  const RunOptions& m_options;
  std::atomic<bool> m_dead{false};
  std::mutex m_error_mutex;
  std::string m_error;
  std::unique_ptr<Throttle> m_throttle; // groups with `rate: auto` or `throttle:`
  std::optional<report::ThrottleReport> m_throttle_report;
  std::vector<std::jthread> m_workers; // last: joined before the members above go away
};

// Applies the group's write policy to freshly resolved entries.
class WritePolicy {
public:
  explicit WritePolicy(const plan::GroupPlan& group)
      : m_ttl(group.ttl)
      , m_jitter(group.ttl_jitter)
      , m_only_missing(group.only_missing)
      , m_random(std::random_device{}())
  {
    // In double, then clamped: huge TTLs times a fraction must not overflow int64.
    const std::int64_t ttl = m_ttl.count();
    const double spread = static_cast<double>(m_jitter.absolute.count())
                          + static_cast<double>(ttl) * m_jitter.fraction;
    const double ceiling = ttl > 0 ? static_cast<double>(ttl - 1) : 0.0;
    m_spread =
        spread >= ceiling ? static_cast<std::int64_t>(ceiling) : static_cast<std::int64_t>(spread);
  }

  void apply(core::Entry& entry)
  {
    entry.only_missing = m_only_missing;
    entry.ttl = m_ttl;
    if (m_ttl.count() > 0 && m_spread > 0) {
      std::uniform_int_distribution<std::int64_t> offset(-m_spread, m_spread);
      const std::int64_t shift = offset(m_random);
      const std::int64_t ttl = m_ttl.count();
      // Saturate instead of overflowing (Redis then refuses an absurd expiry for that key).
      entry.ttl = std::chrono::milliseconds(
          shift > 0 && ttl > std::numeric_limits<std::int64_t>::max() - shift
              ? std::numeric_limits<std::int64_t>::max()
              : ttl + shift);
    }
  }

private:
  std::chrono::milliseconds m_ttl;
  manifest::Jitter m_jitter;
  bool m_only_missing;
  std::int64_t m_spread = 0;
  std::mt19937_64 m_random;
};

bool
stop_requested(const RunOptions& options)
{
  return options.stop != nullptr && options.stop->load();
}

// `123.4 MB`, for messages.
std::string
format_mb(std::uint64_t bytes)
{
  const auto tenths = static_cast<std::uint64_t>(static_cast<double>(bytes) / 100000.0 + 0.5);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MB";
}

// The memory pre-flight of one group: what each target holds and may hold, fetched before the
// group writes anything.
struct MemoryCheck {
  std::vector<std::pair<const TargetState*, sinks::TargetStats>> limited; // targets with maxmemory
  std::optional<std::uint64_t> rows; // the group's rows still to write (source count)
  std::uint64_t keys = 0;            // the keys they make (estimated for collections)
};

// Asks every target for its figures; counts the group's rows only if some target has a limit.
MemoryCheck
start_memory_check(const std::vector<TargetState*>& targets,
                   sources::KeySource& keys,
                   std::uint64_t rows_done)
{
  MemoryCheck check;
  for (const TargetState* target : targets) {
    core::Result<std::unique_ptr<sinks::HealthProbe>> probe = target->sink->probe();
    if (!probe || !*probe) {
      continue; // a dry run, or unreachable (the workers report that)
    }
    core::Result<sinks::TargetStats> stats = (*probe)->stats();
    if (stats && stats->maxmemory > 0) {
      check.limited.emplace_back(target, std::move(*stats));
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

// Judges the group's estimate against every limited target; `sample` holds the entries resolved
// from the group's first `sample_rows` rows. Returns why the group must be cut (only with
// --max-memory-use), else nullopt, after warning about any target the group would overfill.
// Sets `estimate` and check.keys.
std::optional<std::string>
judge_memory(MemoryCheck& check,
             std::span<const core::Entry> sample,
             std::uint64_t sample_rows,
             const RunOptions& options,
             const std::string& group,
             std::optional<std::uint64_t>& estimate)
{
  if (check.limited.empty() || !check.rows || sample.empty() || sample_rows == 0) {
    return std::nullopt;
  }
  std::uint64_t sample_bytes = 0;
  for (const core::Entry& entry : sample) {
    sample_bytes += sinks::estimated_memory(entry);
  }
  // Per row, not per entry: a set, zset or list is built from many rows.
  const double rows = static_cast<double>(*check.rows);
  const double per_row = static_cast<double>(sample_bytes) / static_cast<double>(sample_rows);
  const double keys_per_row = static_cast<double>(sample.size()) / static_cast<double>(sample_rows);
  estimate = static_cast<std::uint64_t>(per_row * rows);
  check.keys = static_cast<std::uint64_t>(keys_per_row * rows + 0.5);
  for (const auto& [target, stats] : check.limited) {
    const std::uint64_t projected = stats.used_memory + *estimate;
    const double share = static_cast<double>(projected) / static_cast<double>(stats.maxmemory);
    const std::string share_text = std::to_string(static_cast<int>(share * 100.0 + 0.5)) + "%";
    const std::string what = "about " + format_mb(*estimate) + " for " + std::to_string(check.keys)
                             + " keys would take target " + target->spec->name + " from "
                             + format_mb(stats.used_memory) + " to " + share_text
                             + " of its maxmemory " + format_mb(stats.maxmemory);
    if (options.max_memory_use && share > *options.max_memory_use) {
      const int limit = static_cast<int>(*options.max_memory_use * 100.0 + 0.5);
      return "cut: " + what + " (over --max-memory-use " + std::to_string(limit) + "%)";
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
  return std::nullopt;
}

// Streams one prepared group into its live targets. Returns the group's report; a failing
// source is recorded in `source_error`.
report::GroupReport
run_group(PreparedGroup& group,
          std::vector<TargetState*> targets,
          const RunOptions& options,
          std::string& source_error,
          bool& done)
{
  const plan::GroupPlan& plan = *group.plan;
  report::GroupReport result;
  result.name = plan.spec->name;
  result.ran = true;
  result.reason = plan.reason;
  const Clock::time_point started = Clock::now();

  // --resume: skip the rows an earlier run got every target to acknowledge. Collections are
  // built from runs of rows, so their groups only ever restart from the beginning.
  const manifest::ValueKind kind = plan.spec->value->kind;
  const bool row_checkpoints = kind != manifest::ValueKind::set && kind != manifest::ValueKind::zset
                               && kind != manifest::ValueKind::list;
  Checkpoint* checkpoint = options.checkpoint;
  const std::string& name = plan.spec->name;
  const std::uint64_t resume_rows =
      checkpoint != nullptr && row_checkpoints ? checkpoint->progress(name).rows : 0;
  std::string checkpoint_error;
  AckTracker acks(resume_rows, [&](std::uint64_t rows) {
    if (checkpoint != nullptr && row_checkpoints) {
      core::Result<void> saved = checkpoint->update(name, GroupProgress{rows, false}, false);
      if (!saved && checkpoint_error.empty()) {
        checkpoint_error = saved.error().message;
      }
    }
  });

  const core::SteadyClock clock;
  std::vector<std::unique_ptr<TargetLane>> lanes;
  for (TargetState* target : targets) {
    lanes.push_back(std::make_unique<TargetLane>(*target, plan, clock, options, acks));
  }
  const std::uint64_t fan_out = lanes.size();
  if (options.progress != nullptr) {
    options.progress->done.store(0);
    const std::optional<std::uint64_t> hint = group.keys->size_hint();
    options.progress->total.store(hint ? *hint * fan_out : 0);
  }

  // The memory pre-flight, before this group writes anything (priority order: what earlier,
  // higher-priority groups wrote is already counted in the targets' used_memory).
  const bool check_memory = !options.dry_run;
  MemoryCheck memory;
  if (check_memory) {
    memory = start_memory_check(targets, *group.keys, resume_rows);
  }
  std::optional<std::string> memory_cut;

  WritePolicy policy(plan);
  report::ErrorTally source_failures;
  std::uint64_t failed_before_write = 0;
  std::vector<core::Row> rows;
  std::vector<core::Failure> failures;
  std::uint64_t rows_read = resume_rows;
  std::uint64_t seq = 0;
  // Counts resolution failures and hands the entries to every target's queue.
  auto dispatch = [&](std::shared_ptr<std::vector<core::Entry>> entries) {
    // A value over --max-value-size is refused here, before it costs any target memory.
    std::erase_if(*entries, [&](const core::Entry& entry) {
      const std::uint64_t size = core::value_size(entry.value);
      if (size <= options.max_value_size) {
        return false;
      }
      failures.push_back(core::Failure{entry.key,
                                       "too_large",
                                       "value of " + std::to_string(size) + " bytes is over the "
                                           + std::to_string(options.max_value_size)
                                           + "-byte limit (--max-value-size)"});
      return true;
    });
    // A key whose value cannot be resolved fails once per target it was meant for.
    for (const core::Failure& failure : failures) {
      source_failures.add(failure.kind, fan_out, failure.key + ": " + failure.message);
    }
    failed_before_write += failures.size() * fan_out;
    if (options.progress != nullptr) {
      options.progress->done.fetch_add(failures.size() * fan_out, std::memory_order_relaxed);
    }
    for (core::Entry& entry : *entries) {
      policy.apply(entry);
    }
    // Registered before any worker can acknowledge it.
    acks.add(seq, row_checkpoints ? rows_read : resume_rows, entries->empty() ? 0 : lanes.size());
    if (!entries->empty()) {
      const Batch batch{std::move(entries), seq};
      for (const std::unique_ptr<TargetLane>& lane : lanes) {
        lane->push(batch);
      }
    }
    ++seq;
  };
  bool more = true;
  // Rows acknowledged by an earlier run are read again (sources have no random access) but
  // neither resolved nor written.
  for (std::uint64_t skip = resume_rows; skip > 0 && more;) {
    rows.clear();
    failures.clear();
    core::Result<bool> next =
        group.keys->next(std::min<std::uint64_t>(plan.batch, skip), rows, failures);
    if (!next) {
      source_error = next.error().message;
      more = false;
      break;
    }
    more = *next;
    const std::uint64_t consumed = rows.size() + failures.size();
    skip = consumed >= skip || consumed == 0 ? 0 : skip - consumed;
  }
  if (resume_rows > 0) {
    result.reason += "; resumed after " + std::to_string(resume_rows) + " rows";
  }
  while (more && !stop_requested(options)) {
    rows.clear();
    failures.clear();
    core::Result<bool> next = group.keys->next(plan.batch, rows, failures);
    if (!next) {
      source_error = next.error().message;
      break;
    }
    more = *next;
    rows_read += rows.size() + failures.size();
    auto entries = std::make_shared<std::vector<core::Entry>>();
    entries->reserve(rows.size());
    core::Result<void> resolved = group.values->resolve(rows, *entries, failures);
    if (!resolved) {
      source_error = resolved.error().message;
      break;
    }
    if (!more) {
      // The source is exhausted: a resolver still holding a value (a collection) emits it now.
      resolved = group.values->finish(*entries, failures);
      if (!resolved) {
        source_error = resolved.error().message;
        break;
      }
    }
    if (seq == 0 && check_memory) {
      memory_cut = judge_memory(
          memory, *entries, rows_read - resume_rows, options, name, result.estimated_bytes);
      if (memory_cut) {
        break;
      }
    }
    dispatch(std::move(entries));
    const bool any_alive =
        std::any_of(lanes.begin(), lanes.end(), [](const auto& lane) { return lane->alive(); });
    if (!any_alive) {
      break;
    }
  }

  if (memory_cut) {
    // Nothing of the group was written: every key it would have written fails, once per target.
    core::log(core::LogLevel::warning, "group " + name + ": " + *memory_cut);
    const std::uint64_t keys = memory.keys;
    source_failures.add("memory_limit", keys * fan_out, *memory_cut);
    failed_before_write += keys * fan_out;
    result.ran = false;
    result.reason = *memory_cut;
    more = true; // not done: a later run may warm it once there is room
  }
  report::ErrorTally errors = source_failures;
  std::vector<WorkerStats> lane_stats;
  bool all_alive = true;
  for (const std::unique_ptr<TargetLane>& lane : lanes) {
    lane_stats.push_back(lane->finish());
    all_alive = all_alive && lane->alive();
  }
  done = !more && source_error.empty() && !stop_requested(options) && all_alive && acks.complete();
  if (checkpoint != nullptr) {
    const GroupProgress progress{row_checkpoints ? acks.rows_done() : 0, done};
    core::Result<void> saved = checkpoint->update(name, progress, true);
    if (!saved && checkpoint_error.empty()) {
      checkpoint_error = saved.error().message;
    }
  }
  if (!checkpoint_error.empty() && source_error.empty()) {
    source_error = checkpoint_error;
  }
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    const WorkerStats& stats = lane_stats[i];
    report::TargetReport target;
    target.name = targets[i]->spec->name;
    target.written = stats.written;
    target.skipped = stats.skipped;
    target.failed = stats.failed + failed_before_write / fan_out;
    target.batch_latency_ms = {stats.latency.quantile_ms(0.50),
                               stats.latency.quantile_ms(0.95),
                               stats.latency.quantile_ms(0.99)};
    target.throttle = lanes[i]->throttle_report();
    result.written += stats.written;
    result.skipped += stats.skipped;
    result.failed += stats.failed;
    result.bytes += stats.bytes;
    errors.merge(stats.errors);
    result.targets.push_back(std::move(target));
  }
  result.failed += failed_before_write;
  result.planned = result.written + result.skipped + result.failed;
  result.errors = errors.summaries();
  if (!source_error.empty()) {
    result.reason += "; stopped: " + source_error;
  }
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  result.finished_at = std::chrono::system_clock::now();
  return result;
}

struct SetUp {
  std::vector<TargetState> targets;
  std::vector<PreparedGroup> groups;
  std::vector<std::string> problems; // located messages
  bool source_unreachable = false;
};

// Parses every target URL and prepares every group; collects every problem.
SetUp
set_up(const manifest::Manifest& manifest, const plan::Plan& plan, bool dry_run)
{
  SetUp setup;
  for (const plan::GroupPlan& group : plan.groups) {
    if (!group.run) {
      continue; // not due: its targets need not be reachable, its sources not readable
    }
    for (const manifest::TargetSpec* spec : group.targets) {
      const bool known = std::any_of(setup.targets.begin(),
                                     setup.targets.end(),
                                     [&](const TargetState& t) { return t.spec == spec; });
      if (known) {
        continue;
      }
      TargetState target;
      target.spec = spec;
      sinks::RedisOptions redis;
      redis.name = spec->name;
      redis.url = spec->url;
      redis.connect_timeout = spec->connect_timeout;
      redis.command_timeout = spec->command_timeout;
      redis.reconnect_budget = spec->reconnect_budget;
      // The URL is checked even in a dry run, so a dry run proves the manifest would run.
      core::Result<std::unique_ptr<sinks::Sink>> sink = sinks::make_redis_sink(redis);
      if (!sink) {
        setup.problems.push_back(located(manifest, spec->loc, sink.error().message));
      } else if (dry_run) {
        target.sink = sinks::make_dry_run_sink(spec->name, (*sink)->describe());
      } else {
        target.sink = std::move(*sink);
      }
      setup.targets.push_back(std::move(target));
    }
  }
  for (const plan::GroupPlan& group : plan.groups) {
    if (!group.run) {
      continue;
    }
    core::Result<PreparedGroup> ready = prepare_group(manifest, group);
    if (!ready) {
      setup.source_unreachable =
          setup.source_unreachable || ready.error().code == core::Errc::source;
      setup.problems.push_back(ready.error().message);
      continue;
    }
    setup.groups.push_back(std::move(*ready));
  }
  return setup;
}

// Why a group with a deadline must not start at `now` (the plan's clock): the deadline passed,
// or its known key count at its rate cannot be written in the time left. nullopt: start it.
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

} // namespace

CheckResult
check(const manifest::Manifest& manifest, const plan::Plan& plan)
{
  SetUp setup = set_up(manifest, plan, true);
  return CheckResult{std::move(setup.problems), setup.source_unreachable};
}

RunResult
run(const manifest::Manifest& manifest, const plan::Plan& plan, const RunOptions& options)
{
  RunResult result;
  report::Report& report = result.report;
  report.version = CACHEWARM_VERSION;
  report.manifest = manifest.path;
  report.dry_run = options.dry_run;
  report.started_at = std::chrono::system_clock::now();

  // Set-up: every target and every group is prepared before anything is written, so a bad
  // query, template or URL stops the run with nothing half-done.
  SetUp setup = set_up(manifest, plan, options.dry_run);
  if (!setup.problems.empty()) {
    result.outcome = setup.source_unreachable ? Outcome::unreachable : Outcome::setup_failed;
    for (const std::string& problem : setup.problems) {
      report.error += report.error.empty() ? problem : "\n" + problem;
    }
    report.finished_at = std::chrono::system_clock::now();
    report::compute_totals(report);
    report.status = status_of(report, result.outcome);
    return result;
  }
  std::vector<TargetState>& targets = setup.targets;
  std::vector<PreparedGroup>& prepared = setup.groups;

  // Pre-flight: one connection per target proves it is reachable (address, password, database)
  // before any group starts, so a typo costs nothing.
  for (TargetState& target : targets) {
    core::Result<std::unique_ptr<sinks::SinkConnection>> probe = target.sink->connect();
    if (!probe) {
      target.unreachable = probe.error().message;
    }
  }

  bool unreachable = false;
  bool all_done = true; // every group that ran completed (for the state file)
  // Deadlines are compared with the plan's clock (--at), advanced by the time the run has taken.
  const auto run_started = std::chrono::steady_clock::now();
  auto plan_clock = [&]() {
    return plan.now
           + std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                   - run_started);
  };
  auto next_prepared = prepared.begin();
  for (std::size_t g = 0; g < plan.groups.size(); ++g) {
    const plan::GroupPlan& step = plan.groups[g];
    if (!step.run) {
      report::GroupReport skipped;
      skipped.name = step.spec->name;
      skipped.reason = step.reason;
      report.groups.push_back(std::move(skipped));
      continue;
    }
    PreparedGroup& group = *next_prepared++;
    if (options.progress != nullptr) {
      options.progress->group_index.store(g);
    }
    if (options.checkpoint != nullptr && options.checkpoint->progress(step.spec->name).done) {
      report::GroupReport skipped;
      skipped.name = step.spec->name;
      skipped.reason = "already completed (state file " + options.checkpoint->path() + ")";
      report.groups.push_back(std::move(skipped));
      continue;
    }
    if (std::optional<std::string> cut = deadline_cut(step, plan_clock())) {
      core::log(core::LogLevel::warning, "group " + step.spec->name + ": " + *cut);
      report::GroupReport skipped;
      skipped.name = step.spec->name;
      skipped.reason = *cut;
      skipped.ready_by = step.deadline;
      skipped.deadline_met = false;
      report.groups.push_back(std::move(skipped));
      continue;
    }
    std::vector<TargetState*> live;
    std::string down;
    for (const manifest::TargetSpec* spec : group.plan->targets) {
      auto found = std::find_if(
          targets.begin(), targets.end(), [&](const TargetState& t) { return t.spec == spec; });
      if (found->unreachable.empty()) {
        live.push_back(&*found);
      } else {
        down += (down.empty() ? "" : ", ") + spec->name;
      }
    }
    if (!down.empty()) {
      unreachable = true;
    }
    if (stop_requested(options) || live.empty()) {
      report::GroupReport skipped;
      skipped.name = group.plan->spec->name;
      skipped.ran = false;
      skipped.reason = stop_requested(options) ? "not started: interrupted"
                                               : "not started: target " + down + " unreachable";
      report.groups.push_back(std::move(skipped));
      continue;
    }
    core::log(core::LogLevel::info, "group " + group.plan->spec->name + ": " + group.plan->reason);
    std::string source_error;
    bool done = false;
    report::GroupReport ran = run_group(group, live, options, source_error, done);
    all_done = all_done && done;
    if (step.deadline) {
      ran.ready_by = step.deadline;
      ran.deadline_met = plan_clock() <= *step.deadline;
    }
    if (!down.empty()) {
      ran.reason += "; target " + down + " unreachable";
    }
    if (!source_error.empty()) {
      unreachable = true;
      report.error +=
          (report.error.empty() ? "" : "\n") + ("group " + ran.name + ": " + source_error);
    }
    report.groups.push_back(std::move(ran));
  }
  for (const TargetState& target : targets) {
    if (!target.unreachable.empty()) {
      unreachable = true;
      report.error += (report.error.empty() ? "" : "\n") + target.unreachable;
    }
  }

  // A run that completed everything leaves no state behind: the next run starts afresh.
  if (options.checkpoint != nullptr && all_done && !unreachable && !stop_requested(options)) {
    core::Result<void> removed = options.checkpoint->remove();
    if (!removed) {
      core::log(core::LogLevel::warning, removed.error().message);
    }
  }
  report.finished_at = std::chrono::system_clock::now();
  report::compute_totals(report);
  result.outcome = stop_requested(options) ? Outcome::interrupted
                   : unreachable           ? Outcome::unreachable
                                           : Outcome::completed;
  report.status = status_of(report, result.outcome);
  return result;
}

} // namespace cachewarm::exec
