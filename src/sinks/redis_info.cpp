#include "cachewarm/sinks/redis_info.hpp"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace cachewarm::sinks {

namespace {

void
read_unsigned(std::string_view value, std::uint64_t& out)
{
  std::uint64_t parsed = 0;
  const std::from_chars_result result =
      std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (result.ec == std::errc() && result.ptr == value.data() + value.size()) {
    out = parsed;
  }
}

void
read_double(std::string_view value, double& out)
{
  double parsed = 0.0;
  const std::from_chars_result result =
      std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (result.ec == std::errc() && result.ptr == value.data() + value.size()) {
    out = parsed;
  }
}

} // namespace

TargetStats
parse_info(std::string_view text)
{
  TargetStats stats;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    const std::size_t colon = line.find(':');
    if (line.empty() || line.front() == '#' || colon == std::string_view::npos) {
      continue;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    if (name == "used_memory") {
      read_unsigned(value, stats.used_memory);
    } else if (name == "maxmemory") {
      read_unsigned(value, stats.maxmemory);
    } else if (name == "maxmemory_policy") {
      stats.maxmemory_policy = std::string(value);
    } else if (name == "evicted_keys") {
      read_unsigned(value, stats.evicted_keys);
    } else if (name == "instantaneous_ops_per_sec") {
      read_double(value, stats.instantaneous_ops_per_sec);
    }
  }
  return stats;
}

} // namespace cachewarm::sinks
