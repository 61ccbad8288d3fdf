#include "cachewarm/manifest/diagnostic.hpp"

#include <string>
#include <vector>

namespace cachewarm::manifest {

std::string
Diagnostic::to_string() const
{
  std::string out = file;
  // 0:0 means "no position" (e.g. an unreadable file): print `file: message` like compilers do.
  if (loc.line > 0) {
    out += ':' + std::to_string(loc.line) + ':' + std::to_string(loc.column);
  }
  out += ": ";
  out += message;
  return out;
}

std::string
to_string(const std::vector<Diagnostic>& diagnostics)
{
  std::string out;
  for (const Diagnostic& diagnostic : diagnostics) {
    out += diagnostic.to_string();
    out += '\n';
  }
  return out;
}

} // namespace cachewarm::manifest
