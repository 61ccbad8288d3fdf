#pragma once

#include "cachewarm/exec/open_group.hpp"
#include "cachewarm/exec/run_options.hpp"
#include "cachewarm/exec/target_lane.hpp"
#include "cachewarm/report/report.hpp"

#include <string>
#include <vector>

namespace cachewarm::exec {

// What running one group did.
struct GroupRun {
  report::GroupReport report;
  std::string source_error; // why the group's source, resolver or state file failed; empty: fine
  bool done = false; // every row read, resolved and acknowledged by every target (resume state)
};

// Streams the prepared `group` into `targets` (the reachable ones among the group's targets):
// rows from its key source in batches through its value resolver and write policy into one
// TargetLane per target. Skips the rows `options.checkpoint` says an earlier run finished and
// records progress there; runs the memory pre-flight first (not in a dry run); stops feeding at
// a stop request or when every target became unreachable. A collection key whose rows came back
// after another key fails as `rows_not_grouped` and the part of it written earlier is removed
// from every target. Never throws; every failure is in the report or `source_error`.
GroupRun run_group(PreparedGroup& group,
                   const std::vector<TargetState*>& targets,
                   const RunOptions& options);

} // namespace cachewarm::exec
