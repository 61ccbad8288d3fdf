#pragma once

// Private to src/cli: where the report goes, and how the command line names what it did not
// understand.

#include "cachewarm/core/result.hpp"
#include "cachewarm/manifest/diagnostic.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::cli {

// How write_report_file() writes to `path`.
enum class ReportWrite {
  atomic,   // a new path or a regular file: a temporary file beside it, fsync, rename over it
  in_place, // a FIFO, a device, a socket, or anything under /dev or /proc (/dev/stdout)
};

// The final path `path` names after following every symbolic link in its last component (a
// dangling link gives the path it points to), and how to write it. A symlink is thus never
// replaced: the file it points to is. Errors: Errc::io for a link loop (over 40 links).
core::Result<std::pair<std::string, ReportWrite>> report_destination(const std::string& path);

// Writes `text` to `path` as report_destination() says. Errors: Errc::io naming the path and
// the system's reason (no directory, permission, ENOSPC on /dev/full, ...); an atomic write
// that fails leaves the old file untouched and no temporary file behind.
core::Result<void> write_report_file(const std::string& path, std::string_view text);

// Writes `text` to stdout and flushes it. Errors: Errc::io, "cannot write WHAT to stdout: "
// and the system's reason (a closed pipe, a full disk, /dev/full).
core::Result<void> write_stdout(std::string_view text, std::string_view what = "the report");

// A command's whole output (plan, cron, predict, evaluate): writes it to stdout and returns
// k_exit_ok, or says why it could not on stderr and returns k_exit_output_lost (74).
int print_output(std::string_view text, std::string_view what);

// `cachewarm: error: MESSAGE` on stderr.
void print_error(std::string_view message);

// A manifest's problems on stderr, one `file:line:col: ...` line each.
void print_diagnostics(const std::vector<manifest::Diagnostic>& diagnostics);

// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo
// (at most 2 edits, or a third of the word's length for long words); empty otherwise.
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

} // namespace cachewarm::cli
