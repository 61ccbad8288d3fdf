// libFuzzer target: the whole manifest front end. The input is a manifest's text; it is parsed
// and validated with a fixed environment, and a manifest without diagnostics is planned twice
// (every group, and `--due` at a fixed instant). Any crash, sanitizer report or hang is a bug:
// parse_manifest promises that every problem becomes a Diagnostic.
//
// Built by scripts/fuzz.sh (CMake option CACHEWARM_FUZZ, clang only); seeds in tests/fuzz/corpus/.

#include "cachewarm/manifest/diagnostic.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/manifest/parse.hpp"
#include "cachewarm/plan/plan.hpp"
#include "cachewarm/plan/schedule.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

// A fixed environment, so that a finding reproduces anywhere: a few variables are set, every
// other one is unset.
std::optional<std::string>
fixed_env(std::string_view name)
{
  if (name == "REDIS_PORT") {
    return "6379";
  }
  if (name == "REDIS_PASSWORD") {
    return "s3cret";
  }
  if (name == "EMPTY") {
    return "";
  }
  if (name == "HOST") {
    return "127.0.0.1";
  }
  return std::nullopt;
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  namespace manifest = cachewarm::manifest;
  namespace plan = cachewarm::plan;

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const manifest::EnvLookup env = fixed_env;
  const manifest::LoadResult loaded =
      manifest::parse_manifest(text, "fuzz.yaml", "/nonexistent/fuzz", env);
  if (!loaded.manifest) {
    if (loaded.diagnostics.empty()) {
      std::abort(); // no manifest and no reason why
    }
    static_cast<void>(manifest::to_string(loaded.diagnostics));
    return 0;
  }
  if (!loaded.diagnostics.empty()) {
    std::abort(); // LoadResult: the manifest is set only when there are no diagnostics
  }

  plan::PlanOptions options;
  options.now = plan::Instant(std::chrono::milliseconds(1795430700000)); // 2026-11-23T08:45:00Z
  const auto every_group = plan::make_plan(*loaded.manifest, options);
  if (!every_group) {
    static_cast<void>(manifest::to_string(every_group.error()));
  }
  options.due = true;
  options.window = std::chrono::minutes(15);
  const auto due_groups = plan::make_plan(*loaded.manifest, options);
  if (!due_groups) {
    static_cast<void>(manifest::to_string(due_groups.error()));
  }
  return 0;
}
