#pragma once

#include "cachewarm/manifest/manifest.hpp"

#include <string>
#include <vector>

namespace cachewarm::manifest {

// One problem found in a manifest, printed as `file:line:column: message`.
struct Diagnostic {
  std::string file;
  Location loc;
  std::string message;

  std::string to_string() const;
};

std::string to_string(const std::vector<Diagnostic>& diagnostics); // one per line

} // namespace cachewarm::manifest
