// The input files of the access-log reader: plain files, stdin, and gzip files decompressed by a
// `gzip -dc` child process (no zlib), split into lines from 64 KiB reads.

#include "log_detail.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

extern char** environ; // NOLINT(readability-identifier-naming): POSIX's name

namespace cachewarm::predict::detail {

namespace {

constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";
// What is kept of gzip's stderr: only its first line is reported.
constexpr std::size_t k_max_stderr = 4096;

core::Error
io_error(const std::string& name, std::string_view what, int error)
{
  return core::Error{core::Errc::io, name + ": " + std::string(what) + ": " + std::strerror(error)};
}

// waitpid() for `child`, retried when a signal interrupts it. False if it failed otherwise (a
// SIGCHLD set to SIG_IGN reaps children itself): the exit status is then unknown.
bool
wait_for(pid_t child, int& status)
{
  for (;;) {
    if (::waitpid(child, &status, 0) == child) {
      return true;
    }
    if (errno != EINTR) {
      return false;
    }
  }
}

// The part of gzip's first stderr line after `gzip: PATH: ` (its own prefixes). gzip starts some
// messages with a newline (to end a partial line on a terminal): empty lines do not count.
std::string
gzip_reason(std::string_view errors, const std::string& path, int status)
{
  errors.remove_prefix(std::min(errors.find_first_not_of("\r\n"), errors.size()));
  std::string_view line = errors.substr(0, errors.find('\n'));
  if (line.starts_with("gzip: ")) {
    line.remove_prefix(6);
  }
  if (line.starts_with(path + ": ")) {
    line.remove_prefix(path.size() + 2);
  }
  if (!line.empty()) {
    return std::string(line);
  }
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

} // namespace

InputFile::InputFile(int fd, bool owned, std::string name)
    : m_fd(fd)
    , m_owned(owned)
    , m_name(std::move(name))
    , m_buffer(k_chunk_size)
{}

InputFile::~InputFile()
{
  if (m_owned && m_fd >= 0) {
    ::close(m_fd);
  }
  if (m_child_stderr >= 0) {
    ::close(m_child_stderr);
  }
  if (m_child > 0) {
    // Not read to the end: the child may be blocked writing, or still decompressing.
    ::kill(m_child, SIGTERM);
    int status = 0;
    wait_for(m_child, status);
  }
}

core::Result<std::unique_ptr<InputFile>>
InputFile::open(const std::string& path)
{
  if (path == "-") {
    return std::unique_ptr<InputFile>(new InputFile(STDIN_FILENO, false, "stdin"));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return tl::unexpected(io_error(path, "cannot open", errno));
  }
  std::unique_ptr<InputFile> file(new InputFile(fd, true, path));
  CW_TRY(file->fill());
  if (file->m_end >= 2 && static_cast<unsigned char>(file->m_buffer[0]) == 0x1FU
      && static_cast<unsigned char>(file->m_buffer[1]) == 0x8BU) {
    ::close(file->m_fd);
    file->m_fd = -1;
    file->m_end = 0;
    CW_TRY(file->spawn_gzip(path));
  }
  return file;
}

core::Result<void>
InputFile::spawn_gzip(const std::string& path)
{
  // Close-on-exec everywhere: the dup2 actions below give the child its own copies.
  std::array<int, 2> out{-1, -1};
  std::array<int, 2> err{-1, -1};
  if (::pipe2(out.data(), O_CLOEXEC) != 0) {
    return tl::unexpected(io_error(path, "cannot run gzip", errno));
  }
  if (::pipe2(err.data(), O_CLOEXEC) != 0) {
    const int error = errno;
    ::close(out[0]);
    ::close(out[1]);
    return tl::unexpected(io_error(path, "cannot run gzip", error));
  }
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  std::string program = "gzip";
  std::string decompress = "-dc";
  std::string end_of_options = "--";
  std::string file = path;
  std::array<char*, 5> argv = {
      program.data(), decompress.data(), end_of_options.data(), file.data(), nullptr};
  pid_t child = -1;
  const int spawned =
      ::posix_spawnp(&child, program.c_str(), &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  if (spawned != 0) {
    ::close(out[0]);
    ::close(err[0]);
    return tl::unexpected(io_error(path, "cannot run gzip", spawned));
  }
  m_fd = out[0];
  m_owned = true;
  m_child = child;
  m_child_stderr = err[0];
  return {};
}

core::Result<bool>
InputFile::fill()
{
  if (m_eof) {
    return false;
  }
  ssize_t got = 0;
  do {
    got = ::read(m_fd, m_buffer.data() + m_end, m_buffer.size() - m_end);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    m_eof = true;
    return tl::unexpected(io_error(m_name, "read error", errno));
  }
  if (got == 0) {
    m_eof = true;
    CW_TRY(finish_child());
    return false;
  }
  m_end += static_cast<std::size_t>(got);
  return true;
}

core::Result<void>
InputFile::finish_child()
{
  if (m_child <= 0) {
    return {};
  }
  // gzip has closed its stdout; its stderr ends when it exits.
  std::string errors;
  std::array<char, 512> chunk{};
  for (;;) {
    const ssize_t got = ::read(m_child_stderr, chunk.data(), chunk.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      break;
    }
    if (errors.size() < k_max_stderr) {
      errors.append(chunk.data(), static_cast<std::size_t>(got));
    }
  }
  ::close(m_child_stderr);
  m_child_stderr = -1;
  int status = 0;
  const bool waited = wait_for(m_child, status);
  m_child = -1;
  if (!waited || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    return {};
  }
  return core::fail(core::Errc::io, m_name + ": gzip: " + gzip_reason(errors, m_name, status));
}

core::Result<std::optional<RawLine>>
InputFile::next()
{
  for (;;) {
    if (m_scan < m_end) {
      const void* newline = std::memchr(m_buffer.data() + m_scan, '\n', m_end - m_scan);
      if (newline != nullptr) {
        const auto end =
            static_cast<std::size_t>(static_cast<const char*>(newline) - m_buffer.data());
        const std::size_t begin = m_begin;
        m_begin = end + 1;
        m_scan = end + 1;
        return take(begin, end);
      }
      m_scan = m_end;
    }
    if (m_eof) {
      if (m_begin == m_end && !m_discarding) {
        return std::nullopt;
      }
      const std::size_t begin = m_begin;
      m_begin = m_end;
      return take(begin, m_end);
    }
    if (m_discarding) {
      m_begin = m_scan = m_end = 0;
    } else if (m_end - m_begin > k_max_line) {
      // Keep what an example quotes, drop the rest up to the next newline.
      m_long_start.assign(m_buffer.data() + m_begin, k_example_bytes);
      m_discarding = true;
      m_begin = m_scan = m_end = 0;
    } else if (m_begin > 0) {
      std::memmove(m_buffer.data(), m_buffer.data() + m_begin, m_end - m_begin);
      m_scan -= m_begin;
      m_end -= m_begin;
      m_begin = 0;
    }
    // Only a line longer than a chunk grows the buffer (up to k_max_line and a chunk).
    if (m_buffer.size() - m_end < k_chunk_size) {
      m_buffer.resize(m_end + k_chunk_size);
    }
    CW_TRY(fill());
  }
}

RawLine
InputFile::take(std::size_t begin, std::size_t end)
{
  ++m_number;
  if (m_discarding) {
    m_discarding = false;
    return RawLine{m_long_start, m_number, true};
  }
  std::string_view text(m_buffer.data() + begin, end - begin);
  if (m_number == 1 && text.starts_with(k_utf8_bom)) {
    text.remove_prefix(k_utf8_bom.size());
  }
  if (text.size() > k_max_line) {
    return RawLine{text.substr(0, k_example_bytes), m_number, true};
  }
  return RawLine{text, m_number, false};
}

} // namespace cachewarm::predict::detail
