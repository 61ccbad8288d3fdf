#pragma once

#include "cachewarm/manifest/diagnostic.hpp"
#include "cachewarm/manifest/manifest.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::manifest {

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process environment (getenv).
EnvLookup process_env();

// What reading a manifest gives: the manifest, or every problem found.
struct LoadResult {
  std::optional<Manifest> manifest;    // set exactly when diagnostics is empty
  std::vector<Diagnostic> diagnostics; // ordered by line and column (stable among equal ones)
};

// Parses and validates a manifest held in `text`, reporting problems against `file_name`;
// relative sqlite paths are resolved against `base_dir`. Every problem is collected (YAML syntax
// errors stop at the first). `${VAR}` / `${VAR:-default}` in scalar values are expanded with `env`.
LoadResult parse_manifest(std::string_view text,
                          std::string_view file_name,
                          std::string_view base_dir,
                          const EnvLookup& env);

// Reads `path` and calls parse_manifest. An unreadable file is one diagnostic at 0:0.
LoadResult load_manifest(std::string_view path, const EnvLookup& env);

} // namespace cachewarm::manifest
