#include "cachewarm/exec/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>

namespace cachewarm::exec {

namespace {

std::string
read_pid(int fd)
{
  char buffer[32] = {};
  const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  std::string pid = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) {
    pid.pop_back();
  }
  return pid.empty() ? "unknown" : pid;
}

} // namespace

core::Result<RunLock>
RunLock::acquire(const std::string& path)
{
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return core::fail(core::Errc::io,
                      "cannot open lock file " + path + ": " + std::strerror(errno));
  }
  RunLock lock(fd, path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return core::fail(core::Errc::locked,
                        "another cachewarm run holds " + path + " (pid " + read_pid(fd) + ")");
    }
    return core::fail(core::Errc::io, "cannot lock " + path + ": " + std::strerror(errno));
  }
  // The holder's PID, for the message a second run prints. Best effort: the lock is the flock.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return lock;
}

RunLock::RunLock(int fd, std::string path)
    : m_fd(fd)
    , m_path(std::move(path))
{}

RunLock::RunLock(RunLock&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1))
    , m_path(std::move(other.m_path))
{}

RunLock&
RunLock::operator=(RunLock&& other) noexcept
{
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = std::exchange(other.m_fd, -1);
    m_path = std::move(other.m_path);
  }
  return *this;
}

RunLock::~RunLock()
{
  if (m_fd >= 0) {
    // Closing releases the flock. The file stays: removing it would race a waiting run.
    ::close(m_fd);
  }
}

std::string
default_lock_path(std::string_view manifest_path)
{
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::weakly_canonical(manifest_path, error);
  if (error) {
    absolute = std::filesystem::absolute(manifest_path, error);
  }
  // FNV-1a over the absolute path: stable across runs and processes.
  std::uint32_t hash = 2166136261U;
  for (const char c : absolute.string()) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 16777619U;
  }
  char digits[9];
  std::snprintf(digits, sizeof digits, "%08x", hash);
  const std::string name =
      "cachewarm-" + absolute.stem().string() + "-" + std::string(digits) + ".lock";
  if (::access("/run/lock", W_OK) == 0) {
    return "/run/lock/" + name;
  }
  const char* tmpdir = std::getenv("TMPDIR"); // NOLINT(concurrency-mt-unsafe): before threads
  return std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") + "/" + name;
}

} // namespace cachewarm::exec
