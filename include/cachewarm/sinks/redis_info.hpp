#pragma once

#include "cachewarm/sinks/sink.hpp"

#include <string_view>

namespace cachewarm::sinks {

// Reads the figures cachewarm watches from the text of a Redis INFO reply (`field:value` lines,
// `# Section` headers, CRLF or LF line ends): used_memory, maxmemory, maxmemory_policy,
// evicted_keys and instantaneous_ops_per_sec. Missing or malformed fields stay at their
// defaults (0, empty), so a server that hides some of them is watched on what it shows.
TargetStats parse_info(std::string_view text);

} // namespace cachewarm::sinks
