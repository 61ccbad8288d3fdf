#include "cachewarm/core/log.hpp"

#include <cstdio>
#include <mutex>
#include <string>

namespace cachewarm::core {

namespace {

std::mutex g_log_mutex;
LogFormat g_log_format = LogFormat::text;
LogLevel g_min_level = LogLevel::info;

std::string_view
level_name(LogLevel level)
{
  switch (level) {
  case LogLevel::debug:
    return "debug";
  case LogLevel::info:
    return "info";
  case LogLevel::warning:
    return "warning";
  case LogLevel::error:
    return "error";
  }
  return "error";
}

// Escapes `text` as the body of a JSON string (control characters as \u00XX).
std::string
json_escape(std::string_view text)
{
  std::string out;
  out.reserve(text.size() + 8);
  for (const char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
        out += escaped;
      } else {
        out += c;
      }
    }
  }
  return out;
}

} // namespace

void
configure_log(LogFormat format, LogLevel min_level)
{
  std::lock_guard lock(g_log_mutex);
  g_log_format = format;
  g_min_level = min_level;
}

void
log(LogLevel level, std::string_view message)
{
  std::lock_guard lock(g_log_mutex);
  if (level < g_min_level) {
    return;
  }
  std::string line;
  if (g_log_format == LogFormat::json) {
    line = "{\"level\":\"" + std::string(level_name(level)) + "\",\"message\":\""
           + json_escape(message) + "\"}\n";
  } else {
    line = "cachewarm: " + std::string(level_name(level)) + ": " + std::string(message) + "\n";
  }
  std::fwrite(line.data(), 1, line.size(), stderr);
}

} // namespace cachewarm::core
