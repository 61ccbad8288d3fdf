#pragma once

#include "cachewarm/core/result.hpp"

#include <string>
#include <string_view>

namespace cachewarm::exec {

// An exclusive lock that keeps two runs of one manifest from loading at the same time (a cron
// run that finds the previous one still going). flock(2) on a file created with mode 0600 and
// holding the owner's PID; the kernel releases it when the process ends, however it ends.
class RunLock {
public:
  // Takes the lock at `path` without waiting.
  // Errors: Errc::locked `another cachewarm run holds <path> (pid N)`;
  // Errc::io `cannot open lock file <path>: <reason>`.
  static core::Result<RunLock> acquire(const std::string& path);

  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();

  const std::string& path() const { return m_path; }

private:
  RunLock(int fd, std::string path);
  int m_fd = -1;
  std::string m_path;
};

// The default lock file of a manifest: `<dir>/cachewarm-<stem>-<8 hex digits>.lock`, the digits a
// hash of the manifest's absolute path (so two manifests never share a lock), in /run/lock when
// it is writable, else $TMPDIR or /tmp.
std::string default_lock_path(std::string_view manifest_path);

} // namespace cachewarm::exec
