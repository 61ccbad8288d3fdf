#pragma once

#include <string_view>

namespace cachewarm::core {

enum class LogLevel { debug, info, warning, error };
enum class LogFormat { text, json };

// Chooses how log lines on stderr look (`cachewarm: warning: ...` or one JSON object per line)
// and the lowest level printed. Call before starting threads.
void configure_log(LogFormat format, LogLevel min_level);

// Writes one line to stderr (thread-safe). Callers never pass secrets: URLs are redacted first.
void log(LogLevel level, std::string_view message);

} // namespace cachewarm::core
