#include "cachewarm/exec/run_group.hpp"

#include "cachewarm/core/clock.hpp"
#include "cachewarm/core/log.hpp"
#include "cachewarm/exec/ack_tracker.hpp"
#include "cachewarm/exec/memory_preflight.hpp"
#include "cachewarm/exec/write_policy.hpp"
#include "cachewarm/sinks/redis_command.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <utility>

namespace cachewarm::exec {

namespace {

using Clock = std::chrono::steady_clock;

// The failure kind of a collection key whose rows were not contiguous (sources::grouped).
constexpr std::string_view k_rows_not_grouped = "rows_not_grouped";

// One group's run: the producer (this thread) reads, resolves and dispatches batches to one
// lane per target; finish() joins the lanes and builds the report.
// What the report says about how a target was reached: TLS verification; for a sentinel target
// the masters the group wrote to and the failovers during it; for a cluster target its nodes.
// `before`: the target's facts when the group started (the last master then is where it began).
void
describe_connection(const sinks::TargetFacts& facts,
                    const sinks::TargetFacts& before,
                    report::TargetReport& target)
{
  target.tls_verify = facts.tls_verify;
  if (facts.cluster) {
    // Each node's counters during the group: the difference of two snapshots.
    std::vector<report::NodeReport> nodes;
    for (const sinks::NodeFacts& node : facts.nodes) {
      sinks::NodeFacts start;
      for (const sinks::NodeFacts& old : before.nodes) {
        if (old.address == node.address) {
          start = old;
        }
      }
      report::NodeReport entry{node.address,
                               node.slots,
                               node.written - start.written,
                               node.failed - start.failed,
                               node.moved - start.moved,
                               node.ask - start.ask,
                               node.failovers - start.failovers};
      const bool active =
          entry.written + entry.failed + entry.moved + entry.ask + entry.failovers > 0;
      if (entry.slots > 0 || active) {
        nodes.push_back(std::move(entry));
      }
    }
    target.nodes = std::move(nodes);
  }
  const std::size_t masters_before = before.masters.size();
  if (!facts.via_sentinel) {
    return;
  }
  report::SentinelReport sentinel;
  const std::size_t first = std::max<std::size_t>(masters_before, 1) - 1;
  for (std::size_t j = first; j < facts.masters.size(); ++j) {
    const std::string& master = facts.masters[j];
    if (std::find(sentinel.masters.begin(), sentinel.masters.end(), master)
        == sentinel.masters.end()) {
      sentinel.masters.push_back(master);
    }
  }
  sentinel.failovers = facts.masters.size() > first ? facts.masters.size() - first - 1 : 0;
  target.sentinel = std::move(sentinel);
}

class GroupStream {
public:
  GroupStream(PreparedGroup& group,
              const std::vector<TargetState*>& targets,
              const RunOptions& options)
      : m_group(group)
      , m_plan(*group.plan)
      , m_name(m_plan.spec->name)
      , m_targets(targets)
      , m_options(options)
      // Collections are built from runs of rows, so their groups always restart from the top.
      , m_row_checkpoints(!manifest::is_collection(m_plan.spec->value->kind))
      , m_checkpoint(options.checkpoint)
      , m_resume_rows(
            m_checkpoint != nullptr && m_row_checkpoints ? m_checkpoint->progress(m_name).rows : 0)
      , m_rows_read(m_resume_rows)
      , m_acks(m_resume_rows,
               [this](std::uint64_t rows) {
                 if (m_row_checkpoints) {
                   save_progress(GroupProgress{rows, false}, false);
                 }
               })
      , m_policy(m_plan.ttl, m_plan.ttl_jitter, m_plan.only_missing, std::random_device{}())
  {
    m_report.name = m_name;
    m_report.ran = true;
    m_report.reason = m_plan.reason;
    const LaneSettings settings{m_plan.concurrency, m_plan.rate.per_second, m_plan.throttle};
    for (TargetState* target : targets) {
      m_lanes.push_back(std::make_unique<TargetLane>(*target, settings, m_clock, options, m_acks));
      m_facts_before.push_back(target->sink ? target->sink->facts() : sinks::TargetFacts{});
    }
    if (options.progress != nullptr) {
      options.progress->done.store(0);
      const std::optional<std::uint64_t> hint = group.keys->size_hint();
      options.progress->total.store(hint ? *hint * m_lanes.size() : 0);
    }
  }

  // Reads, resolves and dispatches every row (after the resumed ones) until the source ends,
  // fails, the run stops, the memory pre-flight cuts the group or every target is down.
  void stream()
  {
    skip_resumed_rows();
    if (m_options.shard) {
      // Other shards' rows are read (sources have no random access) but neither resolved nor
      // counted; a key's failure is attributed by the label it is reported under. Where the
      // source can, it drops them itself, before it reads their values.
      const core::Shard shard = *m_options.shard;
      m_source_filters =
          m_group.keys->filter_keys([shard](std::string_view key) { return shard.owns(key); });
    }
    // The memory pre-flight, before this group writes anything (priority order: what earlier,
    // higher-priority groups wrote is already counted in the targets' used_memory).
    std::optional<MemoryCheck> memory;
    if (!m_options.dry_run) {
      std::vector<sinks::Sink*> sinks;
      for (TargetState* target : m_targets) {
        sinks.push_back(target->sink.get());
      }
      memory = start_memory_check(sinks, *m_group.keys, m_resume_rows);
    }
    while (m_more && !m_options.stopping()) {
      auto entries = std::make_shared<std::vector<core::Entry>>();
      if (!read_and_resolve(*entries)) {
        break;
      }
      if (m_seq == 0 && memory) {
        const MemoryJudgement judgement = judge_memory(*memory,
                                                       *entries,
                                                       m_rows_read - m_resume_rows,
                                                       m_options.max_memory_use,
                                                       m_name,
                                                       sinks::estimated_memory);
        m_report.estimated_bytes = judgement.estimated_bytes;
        if (judgement.cut) {
          cut_for_memory(*judgement.cut, judgement.keys);
          break;
        }
      }
      dispatch(std::move(entries));
      if (std::none_of(m_lanes.begin(), m_lanes.end(), [](const auto& l) { return l->alive(); })) {
        break;
      }
    }
  }

  // Joins the lanes, removes partial collections, saves the resume state, builds the report.
  GroupRun finish(Clock::time_point started);

private:
  void fail_source(const core::Error& error)
  {
    if (m_source_error.empty()) {
      m_source_error = error.message;
    }
  }

  // Records `progress` in the state file (--resume); `flush` forces it to disk now.
  void save_progress(const GroupProgress& progress, bool flush)
  {
    if (m_checkpoint == nullptr) {
      return;
    }
    core::Result<void> saved = m_checkpoint->update(m_name, progress, flush);
    if (!saved && m_checkpoint_error.empty()) {
      m_checkpoint_error = saved.error().message;
    }
  }

  // Rows acknowledged by an earlier run are read again (sources have no random access) but
  // neither resolved nor written.
  void skip_resumed_rows()
  {
    for (std::uint64_t skip = m_resume_rows; skip > 0 && m_more;) {
      m_rows.clear();
      m_failures.clear();
      core::Result<bool> next =
          m_group.keys->next(std::min<std::uint64_t>(m_plan.batch, skip), m_rows, m_failures);
      if (!next) {
        fail_source(next.error());
        m_more = false;
        return;
      }
      m_more = *next;
      const std::uint64_t consumed = m_rows.size() + m_failures.size();
      skip = consumed >= skip || consumed == 0 ? 0 : skip - consumed;
    }
    if (m_resume_rows > 0) {
      m_report.reason += "; resumed after " + std::to_string(m_resume_rows) + " rows";
    }
  }

  // Reads the next batch of rows and resolves their values into `entries` (failures into
  // m_failures). False when the source or resolver failed (recorded).
  bool read_and_resolve(std::vector<core::Entry>& entries)
  {
    m_rows.clear();
    m_failures.clear();
    const std::uint64_t dropped = m_group.keys->dropped();
    core::Result<bool> next = m_group.keys->next(m_plan.batch, m_rows, m_failures);
    if (!next) {
      fail_source(next.error());
      return false;
    }
    m_more = *next;
    m_rows_read += m_rows.size() + m_failures.size() + (m_group.keys->dropped() - dropped);
    if (m_options.shard && !m_source_filters) {
      const core::Shard& shard = *m_options.shard;
      std::erase_if(m_rows, [&](const core::Row& row) { return !shard.owns(row.key); });
      std::erase_if(m_failures, [&](const core::Failure& f) { return !shard.owns(f.key); });
    }
    entries.reserve(m_rows.size());
    core::Result<void> resolved = m_group.values->resolve(m_rows, entries, m_failures);
    if (resolved && !m_more) {
      // The source is exhausted: a resolver still holding a value (a collection) emits it now.
      resolved = m_group.values->finish(entries, m_failures);
    }
    if (!resolved) {
      fail_source(resolved.error());
      return false;
    }
    return true;
  }

  // Counts resolution failures and hands the entries to every target's queue.
  void dispatch(std::shared_ptr<std::vector<core::Entry>> entries)
  {
    const std::uint64_t fan_out = m_lanes.size();
    // A value over --max-value-size is refused here, before it costs any target memory.
    std::erase_if(*entries, [&](const core::Entry& entry) {
      const std::uint64_t size = core::value_size(entry.value);
      if (size <= m_options.max_value_size) {
        return false;
      }
      m_failures.push_back(core::Failure{entry.key,
                                         "too_large",
                                         "value of " + std::to_string(size) + " bytes is over the "
                                             + std::to_string(m_options.max_value_size)
                                             + "-byte limit (--max-value-size)"});
      return true;
    });
    // A key whose value cannot be resolved fails once per target it was meant for.
    for (const core::Failure& failure : m_failures) {
      m_source_failures.add(failure.kind, fan_out, failure.key + ": " + failure.message);
      if (failure.kind == k_rows_not_grouped) {
        m_partial_keys.push_back(failure.key);
      }
    }
    m_failed_before_write += m_failures.size() * fan_out;
    if (m_options.progress != nullptr) {
      m_options.progress->done.fetch_add(m_failures.size() * fan_out, std::memory_order_relaxed);
    }
    for (core::Entry& entry : *entries) {
      m_policy.apply(entry);
    }
    // Registered before any worker can acknowledge it.
    m_acks.add(m_seq,
               m_row_checkpoints ? m_rows_read : m_resume_rows,
               entries->empty() ? 0 : m_lanes.size());
    if (!entries->empty()) {
      const Batch batch{std::move(entries), m_seq};
      for (const std::unique_ptr<TargetLane>& lane : m_lanes) {
        lane->push(batch);
      }
    }
    ++m_seq;
  }

  // Nothing of the group was written: every key it would have written fails, once per target.
  void cut_for_memory(const std::string& why, std::uint64_t keys)
  {
    core::log(core::LogLevel::warning, "group " + m_name + ": " + why);
    const std::uint64_t fan_out = m_lanes.size();
    m_source_failures.add("memory_limit", keys * fan_out, why);
    m_failed_before_write += keys * fan_out;
    m_report.ran = false;
    m_report.reason = why;
    m_more = true; // not done: a later run may warm it once there is room
  }

  // Removes from `target` the collections whose rows came back after other keys: what was
  // written of them is only part of the collection, and a missing key is safe where a partial
  // one is not. Returns how many existed (they were counted as written).
  std::uint64_t remove_partial_keys(TargetState& target);

  PreparedGroup& m_group;
  const plan::GroupPlan& m_plan;
  const std::string& m_name;
  const std::vector<TargetState*>& m_targets;
  // Per target: what its sink said when the group started (masters reached, node counters).
  std::vector<sinks::TargetFacts> m_facts_before;
  const RunOptions& m_options;
  const bool m_row_checkpoints;
  Checkpoint* m_checkpoint;
  const std::uint64_t m_resume_rows;
  std::uint64_t m_rows_read;     // rows the source gave (with those it dropped for the shard)
  bool m_source_filters = false; // the source drops other shards' rows itself
  std::string m_checkpoint_error;
  AckTracker m_acks;
  WritePolicy m_policy;
  const core::SteadyClock m_clock;
  report::GroupReport m_report;
  report::ErrorTally m_source_failures;
  std::uint64_t m_failed_before_write = 0;
  std::vector<core::Row> m_rows;
  std::vector<core::Failure> m_failures;
  std::vector<std::string> m_partial_keys;
  std::uint64_t m_seq = 0;
  bool m_more = true;
  std::string m_source_error;
  std::vector<std::unique_ptr<TargetLane>> m_lanes; // last: finished before the members above
};

std::uint64_t
GroupStream::remove_partial_keys(TargetState& target)
{
  if (m_partial_keys.empty() || !target.unreachable.empty()) {
    return 0;
  }
  core::Result<std::unique_ptr<sinks::SinkConnection>> connection = target.sink->connect();
  core::Result<std::uint64_t> removed =
      connection ? (*connection)->remove(m_partial_keys) : tl::unexpected(connection.error());
  if (!removed) {
    core::log(core::LogLevel::error,
              "group " + m_name + ": could not remove " + std::to_string(m_partial_keys.size())
                  + " partly written collection(s) from target " + target.spec->name + ": "
                  + removed.error().message);
    return 0;
  }
  return *removed;
}

GroupRun
GroupStream::finish(Clock::time_point started)
{
  GroupRun run;
  report::ErrorTally errors = m_source_failures;
  const std::uint64_t fan_out = m_lanes.size();
  bool all_alive = true;
  for (std::size_t i = 0; i < m_lanes.size(); ++i) {
    WorkerStats stats = m_lanes[i]->finish();
    all_alive = all_alive && m_lanes[i]->alive();
    // Not for only_missing groups: their first part may have been skipped, the key traffic's.
    const std::uint64_t removed = m_plan.only_missing ? 0 : remove_partial_keys(*m_targets[i]);
    stats.written -= std::min(removed, stats.written);
    report::TargetReport target;
    target.name = m_targets[i]->spec->name;
    target.written = stats.written;
    target.skipped = stats.skipped;
    target.failed = stats.failed + m_failed_before_write / fan_out;
    target.batch_latency_ms = {stats.latency.quantile_ms(0.50),
                               stats.latency.quantile_ms(0.95),
                               stats.latency.quantile_ms(0.99)};
    target.throttle = m_lanes[i]->throttle_report();
    if (m_targets[i]->sink) {
      describe_connection(m_targets[i]->sink->facts(), m_facts_before[i], target);
    }
    m_report.written += stats.written;
    m_report.skipped += stats.skipped;
    m_report.failed += stats.failed;
    m_report.bytes += stats.bytes;
    errors.merge(stats.errors);
    m_report.targets.push_back(std::move(target));
  }
  run.done =
      !m_more && m_source_error.empty() && !m_options.stopping() && all_alive && m_acks.complete();
  // A collection group's state says only whether it completed.
  save_progress(GroupProgress{m_row_checkpoints ? m_acks.rows_done() : 0, run.done}, true);
  run.source_error = m_source_error.empty() ? m_checkpoint_error : m_source_error;
  m_report.failed += m_failed_before_write;
  m_report.planned = m_report.written + m_report.skipped + m_report.failed;
  m_report.errors = errors.summaries();
  if (!run.source_error.empty()) {
    m_report.reason += "; stopped: " + run.source_error;
  }
  m_report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  m_report.finished_at = std::chrono::system_clock::now();
  run.report = std::move(m_report);
  return run;
}

} // namespace

GroupRun
run_group(PreparedGroup& group, const std::vector<TargetState*>& targets, const RunOptions& options)
{
  const Clock::time_point started = Clock::now();
  GroupStream stream(group, targets, options);
  stream.stream();
  return stream.finish(started);
}

} // namespace cachewarm::exec
