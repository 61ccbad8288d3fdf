#include "output.hpp"

#include "exit_codes.hpp"

#include "cachewarm/manifest/diagnostic.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace cachewarm::cli {

namespace {

core::Result<void>
io_error(const std::string& what, int error)
{
  return core::fail(core::Errc::io, what + ": " + std::strerror(error));
}

// Writes all of `text` to `fd`. False with errno set on failure.
bool
write_all(int fd, std::string_view text)
{
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      if (n == 0) {
        errno = EIO;
      }
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool
under(const std::string& path, std::string_view folder)
{
  return path.compare(0, folder.size(), folder) == 0;
}

core::Result<void>
write_atomically(const std::string& path, std::string_view text)
{
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return io_error("cannot create " + temporary, errno);
  }
  if (!write_all(fd, text) || ::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    return io_error("cannot write " + temporary, error);
  }
  if (::close(fd) != 0 || std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return io_error("cannot replace " + path, error);
  }
  return {};
}

core::Result<void>
write_in_place(const std::string& path, std::string_view text)
{
  struct stat info {};
  const bool regular = ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | (regular ? O_TRUNC : 0));
  if (fd < 0) {
    return io_error("cannot open " + path, errno);
  }
  const bool written = write_all(fd, text);
  const int error = errno;
  if (::close(fd) != 0 && written) {
    return io_error("cannot write " + path, errno);
  }
  if (!written) {
    return io_error("cannot write " + path, error);
  }
  return {};
}

} // namespace

core::Result<std::pair<std::string, ReportWrite>>
report_destination(const std::string& path)
{
  namespace fs = std::filesystem;
  const auto in_place = [](std::string p) {
    return std::pair<std::string, ReportWrite>(std::move(p), ReportWrite::in_place);
  };
  // /dev/stdout, /dev/fd/N, /proc/self/fd/N: the caller's descriptors, written as they are.
  if (under(path, "/dev/") || under(path, "/proc/")) {
    return in_place(path);
  }
  fs::path final_path(path);
  std::error_code error;
  for (int hops = 0; fs::is_symlink(fs::symlink_status(final_path, error)); ++hops) {
    if (hops == 40) {
      return core::fail(core::Errc::io, path + ": too many levels of symbolic links");
    }
    const fs::path target = fs::read_symlink(final_path, error);
    if (error) {
      return core::fail(core::Errc::io, path + ": " + error.message());
    }
    final_path = target.is_absolute() ? target : final_path.parent_path() / target;
  }
  std::string resolved = final_path.string();
  if (under(resolved, "/dev/") || under(resolved, "/proc/")) {
    return in_place(std::move(resolved));
  }
  const fs::file_status status = fs::status(final_path, error);
  if (fs::exists(status) && !fs::is_regular_file(status)) {
    return in_place(std::move(resolved)); // a FIFO, a device, a socket
  }
  return std::pair<std::string, ReportWrite>(std::move(resolved), ReportWrite::atomic);
}

core::Result<void>
write_report_file(const std::string& path, std::string_view text)
{
  CW_TRY_ASSIGN(const auto destination, report_destination(path));
  if (destination.second == ReportWrite::in_place) {
    return write_in_place(destination.first, text);
  }
  return write_atomically(destination.first, text);
}

core::Result<void>
write_stdout(std::string_view text, std::string_view what)
{
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    const int error = errno;
    std::clearerr(stdout);
    return io_error("cannot write " + std::string(what) + " to stdout", error);
  }
  return {};
}

int
print_output(std::string_view text, std::string_view what)
{
  if (core::Result<void> written = write_stdout(text, what); !written) {
    print_error(written.error().message);
    return k_exit_output_lost;
  }
  return k_exit_ok;
}

void
print_diagnostics(const std::vector<manifest::Diagnostic>& diagnostics)
{
  const std::string text = manifest::to_string(diagnostics);
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void
print_error(std::string_view message)
{
  const std::string line = "cachewarm: error: " + std::string(message) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string
nearest(std::string_view word, const std::vector<std::string>& candidates)
{
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const std::string& candidate : candidates) {
    // Levenshtein distance, one row at a time.
    std::vector<std::size_t> row(candidate.size() + 1);
    for (std::size_t j = 0; j < row.size(); ++j) {
      row[j] = j;
    }
    for (std::size_t i = 1; i <= word.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= candidate.size(); ++j) {
        const std::size_t above = row[j];
        const std::size_t substitute = diagonal + (word[i - 1] == candidate[j - 1] ? 0 : 1);
        row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
        diagonal = above;
      }
    }
    if (row.back() < best_distance) {
      best_distance = row.back();
      best = candidate;
    }
  }
  const std::size_t allowed = std::max<std::size_t>(2, word.size() / 3);
  return best_distance <= allowed && best_distance < word.size() ? best : std::string();
}

} // namespace cachewarm::cli
