#include "cachewarm/exec/checkpoint.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace cachewarm::exec {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::chrono::milliseconds k_write_interval{100};

core::Result<void>
io_error(const std::string& what, const std::string& path)
{
  return core::fail(core::Errc::io, what + " " + path + ": " + std::strerror(errno));
}

// Writes `text` to `path` so that readers see the old or the new content, never a mix.
core::Result<void>
replace_file(const std::string& path, const std::string& text)
{
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return io_error("cannot write state file", temporary);
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n <= 0) {
      ::close(fd);
      return io_error("cannot write state file", temporary);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return io_error("cannot fsync state file", temporary);
  }
  ::close(fd);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return io_error("cannot replace state file", path);
  }
  // The rename itself must survive a crash too.
  std::string directory = std::filesystem::path(path).parent_path().string();
  const int dir = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

} // namespace

Checkpoint::Checkpoint(std::string path, std::string manifest_path, std::string manifest_digest)
    : m_path(std::move(path))
    , m_manifest_path(std::move(manifest_path))
    , m_manifest_digest(std::move(manifest_digest))
{}

Checkpoint::Checkpoint(Checkpoint&& other) noexcept
    : m_path(std::move(other.m_path))
    , m_manifest_path(std::move(other.m_manifest_path))
    , m_manifest_digest(std::move(other.m_manifest_digest))
    , m_groups(std::move(other.m_groups))
    , m_last_write(other.m_last_write)
{}

core::Result<Checkpoint>
Checkpoint::open(std::string path, std::string manifest_path, std::string manifest_digest)
{
  Checkpoint checkpoint(std::move(path), std::move(manifest_path), std::move(manifest_digest));
  const int fd = ::open(checkpoint.m_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return checkpoint;
    }
    return tl::unexpected(io_error("cannot read state file", checkpoint.m_path).error());
  }
  std::string text;
  char buffer[65536];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (n < 0) {
    return tl::unexpected(io_error("cannot read state file", checkpoint.m_path).error());
  }
  const std::string not_ours = "state file " + checkpoint.m_path + " is not a cachewarm state file";
  const Json state = Json::parse(text, nullptr, false);
  if (state.is_discarded() || !state.is_object() || state.value("schema_version", 0) != 1
      || !state.contains("manifest_digest") || !state["manifest_digest"].is_string()
      || !state.contains("groups") || !state["groups"].is_object()) {
    return core::fail(core::Errc::usage, not_ours);
  }
  if (state["manifest_digest"].get<std::string>() != checkpoint.m_manifest_digest) {
    return core::fail(core::Errc::usage,
                      "state file " + checkpoint.m_path + " belongs to another manifest ("
                          + state.value("manifest", std::string("unknown"))
                          + " as it was then); use a new state file or delete it");
  }
  for (const auto& [name, progress] : state["groups"].items()) {
    if (!progress.is_object() || !progress.contains("rows")
        || !progress["rows"].is_number_unsigned() || !progress.contains("done")
        || !progress["done"].is_boolean()) {
      return core::fail(core::Errc::usage, not_ours + ": bad entry for group " + name);
    }
    checkpoint.m_groups.emplace_back(
        name, GroupProgress{progress["rows"].get<std::uint64_t>(), progress["done"].get<bool>()});
  }
  return checkpoint;
}

GroupProgress
Checkpoint::progress(const std::string& group) const
{
  std::lock_guard lock(m_mutex);
  for (const auto& [name, progress] : m_groups) {
    if (name == group) {
      return progress;
    }
  }
  return {};
}

core::Result<void>
Checkpoint::update(const std::string& group, GroupProgress progress, bool force)
{
  std::lock_guard lock(m_mutex);
  auto found = std::find_if(
      m_groups.begin(), m_groups.end(), [&](const auto& entry) { return entry.first == group; });
  if (found == m_groups.end()) {
    m_groups.emplace_back(group, progress);
  } else {
    found->second = progress;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!force && !progress.done && now - m_last_write < k_write_interval) {
    return {};
  }
  m_last_write = now;
  return write_locked();
}

core::Result<void>
Checkpoint::write_locked()
{
  Json groups = Json::object();
  for (const auto& [name, progress] : m_groups) {
    groups[name] = Json{{"rows", progress.rows}, {"done", progress.done}};
  }
  const Json state{{"schema_version", 1},
                   {"manifest", m_manifest_path},
                   {"manifest_digest", m_manifest_digest},
                   {"groups", std::move(groups)}};
  return replace_file(m_path, state.dump(2) + "\n");
}

core::Result<void>
Checkpoint::remove()
{
  std::lock_guard lock(m_mutex);
  if (std::remove(m_path.c_str()) != 0 && errno != ENOENT) {
    return io_error("cannot remove state file", m_path);
  }
  return {};
}

core::Result<std::string>
digest_file(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return tl::unexpected(io_error("cannot read", path).error());
  }
  std::uint64_t hash = 14695981039346656037ULL;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      hash = (hash ^ static_cast<unsigned char>(buffer[i])) * 1099511628211ULL;
    }
  }
  char digits[17];
  std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(hash));
  return std::string(digits);
}

} // namespace cachewarm::exec
