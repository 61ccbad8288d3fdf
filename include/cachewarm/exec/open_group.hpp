#pragma once

#include "cachewarm/exec/target_lane.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/plan/plan.hpp"
#include "cachewarm/sinks/redis.hpp"
#include "cachewarm/sources/source.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace cachewarm::exec {

// A group whose sources are open and whose templates are bound, ready to stream.
struct PreparedGroup {
  const plan::GroupPlan* plan = nullptr;
  std::unique_ptr<sources::KeySource> keys;
  std::unique_ptr<sources::ValueResolver> values;
};

// How set_up() opens things.
struct SetUpOptions {
  bool dry_run = false; // targets become dry-run sinks (their URLs are still checked)
  bool resume = false;  // --resume: a query's rows must come in a stable order
  const std::atomic<bool>* stop = nullptr; // sinks give up a reconnect wait once it is set
};

// Everything a run needs, opened: one TargetState per target some due group writes to (in
// first-use order) and one PreparedGroup per due group (in plan order).
struct SetUp {
  std::vector<TargetState> targets;
  std::vector<PreparedGroup> groups;
  std::vector<std::string> problems; // `file:line:column: message` each; empty: ready to run
  bool source_unreachable = false;   // some problem is a source that could not be opened
};

// Builds the sink of every target used by a due group of `plan` and opens every due group's key
// source and value resolver, collecting every problem instead of stopping at the first. This is
// the only place that names concrete sources (SQLite, PostgreSQL, HTTP, key lists) and sinks
// (Redis). Connects to no target.
SetUp
set_up(const manifest::Manifest& manifest, const plan::Plan& plan, const SetUpOptions& options);

// How to reach the Redis target `spec` (URL, timeouts, TLS, Sentinel, replicas_ack, cluster),
// stopping waits when `stop` is set. Shared by run's sinks and cachewarm snapshot.
sinks::RedisOptions redis_options(const manifest::TargetSpec& spec, const std::atomic<bool>* stop);

// True when `sql` has an ORDER BY at its outermost level (outside parentheses, string literals,
// quoted identifiers and comments), i.e. its rows come in an order a resumed run can rely on.
bool has_outer_order_by(std::string_view sql);

} // namespace cachewarm::exec
