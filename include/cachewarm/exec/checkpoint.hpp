#pragma once

#include "cachewarm/core/result.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cachewarm::exec {

// How far a group got: the key-source rows whose keys every target acknowledged (a prefix of the
// source's order), and whether the whole group completed.
struct GroupProgress {
  std::uint64_t rows = 0;
  bool done = false;
  bool operator==(const GroupProgress&) const = default;
};

// The --resume state file: progress per group, replaced atomically (temporary file, fsync,
// rename, directory fsync) with mode 0600, so a crash or kill -9 leaves either the old or the
// new state, never half of one. Thread-safe.
class Checkpoint {
public:
  // Opens the state at `path` (empty progress when the file does not exist yet).
  // `manifest_digest` identifies the manifest's content.
  // Errors: Errc::usage `state file <path> belongs to another manifest (<manifest path> in it)`
  // or `state file <path> is not a cachewarm state file: <reason>`; Errc::io when unreadable.
  static core::Result<Checkpoint>
  open(std::string path, std::string manifest_path, std::string manifest_digest);

  Checkpoint(Checkpoint&& other) noexcept;
  Checkpoint& operator=(Checkpoint&& other) = delete;
  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;
  ~Checkpoint() = default;

  // The recorded progress of `group` (zero when unknown).
  GroupProgress progress(const std::string& group) const;

  // Records `progress` for `group` and writes the file when `force`, when the group is done, or
  // when 100 ms passed since the last write (so a fast run does not fsync per batch).
  // Errors: Errc::io when the file cannot be written.
  core::Result<void> update(const std::string& group, GroupProgress progress, bool force);

  // Deletes the state file (a run that completed everything starts afresh next time).
  core::Result<void> remove();

  const std::string& path() const { return m_path; }

private:
  Checkpoint(std::string path, std::string manifest_path, std::string manifest_digest);
  core::Result<void> write_locked();

  std::string m_path;
  std::string m_manifest_path;
  std::string m_manifest_digest;
  mutable std::mutex m_mutex;
  std::vector<std::pair<std::string, GroupProgress>> m_groups;
  std::chrono::steady_clock::time_point m_last_write{};
};

// A digest of the file's bytes (FNV-1a 64, hex), to tell one manifest from another.
// Errors: Errc::io when unreadable.
core::Result<std::string> digest_file(const std::string& path);

} // namespace cachewarm::exec
