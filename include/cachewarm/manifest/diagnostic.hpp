#pragma once

#include <string>
#include <vector>

#include "cachewarm/manifest/manifest.hpp"

namespace cachewarm::manifest {

// One problem found in a manifest, printed as `file:line:column: message`.
struct Diagnostic {
  std::string file;
  Location loc;
  std::string message;

  std::string to_string() const;
};

std::string
to_string(const std::vector<Diagnostic>& diagnostics); // one per line

} // namespace cachewarm::manifest
