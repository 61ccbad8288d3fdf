#pragma once

#include "cachewarm/manifest/manifest.hpp"

#include <string>
#include <vector>

namespace cachewarm::manifest {

// One problem found in a manifest, printed as `file:line:column: message`.
struct Diagnostic {
  std::string file;    // the manifest's path as given
  Location loc;        // 1-based; 0:0 when the problem has no position (an unreadable file)
  std::string message; // lowercase, no trailing period; usually the element's path first
                       // (`groups[2] ("x").ttl: ...`)

  // `file:line:column: message`, or `file: message` when `loc` is 0:0.
  std::string to_string() const;
};

// Each diagnostic's to_string(), one per line (each line ends in '\n'); "" for none.
std::string to_string(const std::vector<Diagnostic>& diagnostics);

} // namespace cachewarm::manifest
