#pragma once

#include "cachewarm/report/report.hpp"

#include <string>

namespace cachewarm::report {

// The report as one JSON document (schema_version 1, field order as documented in
// cachewarm(1)); `indent` < 0 gives a single line.
std::string to_json(const Report& report, int indent = 2);

} // namespace cachewarm::report
