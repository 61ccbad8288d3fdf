#pragma once

#include "cachewarm/manifest/diagnostic.hpp"
#include "cachewarm/manifest/manifest.hpp"

#include <tl/expected.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cachewarm::plan {

// Command-line choices that shape a plan.
struct PlanOptions {
  std::vector<std::string> groups; // -g; empty: every group
  std::optional<manifest::Rate> rate;
  std::optional<std::size_t> concurrency;
  std::optional<std::size_t> batch;
};

// One group to run, with every setting resolved (group, then defaults, then command line).
struct GroupPlan {
  const manifest::GroupSpec* spec = nullptr;
  std::vector<const manifest::TargetSpec*> targets;
  std::size_t batch = 500;
  std::size_t concurrency = 4;
  manifest::Rate rate;
  std::chrono::milliseconds ttl{0};
  manifest::Jitter ttl_jitter;
  bool only_missing = false;
  std::string reason;                     // why it runs ("selected with -g", "run: every group")
  std::optional<std::uint64_t> key_count; // known without reading a source (keys, patterns)
};

struct Plan {
  std::vector<GroupPlan> groups; // in run order: priority descending, then manifest order
};

// Chooses and orders the groups to run and resolves their settings. Pure.
// Errors: every problem as a diagnostic: a -g naming no group, and features the manifest accepts
// but this version cannot run yet ("... is not supported yet"), each at its manifest location.
tl::expected<Plan, std::vector<manifest::Diagnostic>> make_plan(const manifest::Manifest& manifest,
                                                                const PlanOptions& options);

} // namespace cachewarm::plan
