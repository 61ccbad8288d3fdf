#pragma once

// Private to src/cli: the schedule commands, registered by cli.cpp.

#include "cachewarm/core/shard.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace cachewarm::cli {

struct PlanCommandArgs {
  std::string manifest;
  std::string at;    // --at (ISO 8601); empty: now
  bool json = false; // --json: one JSON document instead of the table
  std::chrono::minutes window{5};
  std::optional<core::Shard> shard; // --shard: key counts are the shard's expected share
};

// `cachewarm plan MANIFEST [--at TIME] [--json] [--window DURATION] [--shard I/N]`: for every
// group, in run order: name, priority, schedule, due now or not and why, next due time in the
// schedule's zone and in UTC, key count estimate, targets. Returns the exit code (0, or 2 on a
// manifest error).
int command_plan(const PlanCommandArgs& args);

struct CronCommandArgs {
  std::string manifest;
  bool systemd = false; // --systemd: .service and .timer units instead of crontab lines
  std::string binary;   // --binary PATH: the cachewarm to invoke (default: this executable)
  std::chrono::minutes window{5};
};

// `cachewarm cron MANIFEST [--systemd]`: what to install so `run --due` is invoked often enough
// for every schedule (see cachewarm(1)). Returns the exit code.
int command_cron(const CronCommandArgs& args);

} // namespace cachewarm::cli
