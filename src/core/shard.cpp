#include "cachewarm/core/shard.hpp"

#include "cachewarm/core/hash.hpp"

#include <charconv>

namespace cachewarm::core {

namespace {

constexpr std::uint32_t k_max_shards = 65536;

std::optional<std::uint32_t>
parse_number(std::string_view text)
{
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

Error
usage(const std::string& message)
{
  return Error{Errc::usage, "--shard: " + message};
}

} // namespace

std::uint32_t
Shard::shard_of(std::string_view key, std::uint32_t count)
{
  return count <= 1 ? 0 : static_cast<std::uint32_t>(key_hash(key) % count);
}

Result<Shard>
parse_shard(std::string_view text,
            const std::function<std::optional<std::string>(std::string_view)>& lookup)
{
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return tl::unexpected(
        usage("expected INDEX/COUNT or auto/COUNT (e.g. 0/4), got \"" + std::string(text) + "\""));
  }
  const std::optional<std::uint32_t> count = parse_number(text.substr(slash + 1));
  if (!count || *count == 0 || *count > k_max_shards) {
    return tl::unexpected(usage("COUNT must be a number from 1 to " + std::to_string(k_max_shards)
                                + ", got \"" + std::string(text.substr(slash + 1)) + "\""));
  }
  const std::string_view index_text = text.substr(0, slash);
  std::optional<std::uint32_t> index;
  if (index_text == "auto") {
    const std::optional<std::string> from_env = lookup("JOB_COMPLETION_INDEX");
    if (!from_env) {
      return tl::unexpected(usage("auto needs JOB_COMPLETION_INDEX (set by Kubernetes Indexed "
                                  "Jobs), which is not set"));
    }
    index = parse_number(*from_env);
    if (!index) {
      return tl::unexpected(usage("JOB_COMPLETION_INDEX is not a number: \"" + *from_env + "\""));
    }
  } else {
    index = parse_number(index_text);
    if (!index) {
      return tl::unexpected(
          usage("INDEX must be a number or auto, got \"" + std::string(index_text) + "\""));
    }
  }
  if (*index >= *count) {
    return tl::unexpected(usage("INDEX " + std::to_string(*index) + " is out of range 0.."
                                + std::to_string(*count - 1) + " for " + std::to_string(*count)
                                + " shards"));
  }
  return Shard{*index, *count};
}

std::string
shard_path(std::string_view path, const Shard& shard)
{
  const std::size_t slash = path.rfind('/');
  const std::size_t name_start = slash == std::string_view::npos ? 0 : slash + 1;
  const std::size_t dot = path.rfind('.');
  // A leading dot (`.state`) names the file, it does not start an extension.
  if (dot == std::string_view::npos || dot <= name_start) {
    return std::string(path) + shard.file_suffix();
  }
  return std::string(path.substr(0, dot)) + shard.file_suffix() + std::string(path.substr(dot));
}

} // namespace cachewarm::core
