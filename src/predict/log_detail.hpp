#pragma once

// Private to the access-log parts of src/predict, which together implement access_log.hpp:
// log_time.cpp (time fields, named-group translation), log_formats.cpp (the line parsers of every
// format, the text of a skipped line's example), log_input.cpp (files read in chunks, gzip
// children) and access_log.cpp (the spec's words, validation, LogReader).

#include "cachewarm/core/result.hpp"
#include "cachewarm/predict/access_log.hpp"

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::predict::detail {

// Files are read in chunks of this size.
inline constexpr std::size_t k_chunk_size = 64 * 1024;
// A line longer than this is `unparsed`: it bounds memory for files without newlines.
inline constexpr std::size_t k_max_line = 1024 * 1024;
// The bytes of a skipped line quoted in its example, and how many examples are kept.
inline constexpr std::size_t k_example_bytes = 120;
inline constexpr std::size_t k_max_examples = 5;

// --- Time (log_time.cpp) -------------------------------------------------------------------------

// Seconds since the Unix epoch of `text` written in `unit`; nullopt if it is empty or not in that
// unit (a date that does not exist, trailing text, a non-finite number).
std::optional<double> parse_time(std::string_view text, TimeUnit unit);

// --- Named groups (log_time.cpp) -----------------------------------------------------------------

// A regex whose named groups were made plain groups, since std::regex has none.
struct NamedPattern {
  std::string pattern;             // `(?<name>` replaced by `(`
  std::vector<std::string> names;  // the named groups, in order
  std::vector<std::size_t> groups; // the capture index (1-based) of names[i]
};

// Translates `pattern`, counting capturing groups (a `(` not escaped, not inside [...], not
// followed by `?`, plus the named ones). Errors (Errc::usage, no prefix): `invalid group name
// at column N` (names are [A-Za-z_][A-Za-z0-9_]*), `group name "x" used twice`.
core::Result<NamedPattern> translate_named_groups(std::string_view pattern);

// --- Line shapes (log_formats.cpp) ---------------------------------------------------------------

// The fields of a combined or common line, by name.
enum class ClfField : std::size_t {
  host,
  ident,
  user,
  time,
  request,
  method,
  path,
  protocol,
  status,
  bytes,
  referer,
  agent,
};
inline constexpr std::size_t k_clf_fields = 12;
using ClfLine = std::array<std::string_view, k_clf_fields>;

// Splits a combined (`combined` true) or common line into `out`, views into `line`; quoted
// fields (request, method, path, protocol, referer, agent) as logged, see clf_unescape. Text after
// the last field is ignored when a space separates it. A request that is not `METHOD TARGET
// HTTP/...` leaves method, path and protocol empty. Returns false if the line does not have the
// shape (a quote escaped as `\"` does not end a quoted field).
bool parse_clf(std::string_view line, bool combined, ClfLine& out);

// The text of a quoted field `raw` as logged: `\"` and `\\` unescaped (into `out`, and the view is
// of `out`, only if `raw` has a backslash; other escapes such as `\x22` are kept).
std::string_view clf_unescape(std::string_view raw, std::string& out);

// Splits an RFC 4180 record (one line: quotes, doubled quotes, commas) into `cells`, views into
// `line` or `scratch`. Returns false for a character after a closing quote or an unclosed quote.
bool split_csv(std::string_view line, std::vector<std::string_view>& cells, std::string& scratch);

// Splits `line` at each tab into `cells`.
void split_tsv(std::string_view line, std::vector<std::string_view>& cells);

// Splits `line` at runs of spaces and tabs into `cells`, leading and trailing blanks ignored.
void split_blanks(std::string_view line, std::vector<std::string_view>& cells);

// --- Format parsers (log_formats.cpp) ------------------------------------------------------------

// The fields of one format's lines, by id: the reader names the fields it needs once (bind), then
// asks for them by index after each parse.
class FormatParser {
public:
  virtual ~FormatParser() = default;

  // Reads a header line (csv/tsv/fields with a header): the names of the fields. Returns false if
  // the line cannot be split.
  virtual bool read_header(std::string_view line) = 0;

  // Why `name` is not a field (`unknown field x (available: a, b, 1..2)`), or nullopt if it is (or
  // may be: before a header is read, and any jsonl member).
  virtual std::optional<std::string> check(std::string_view name) const = 0;

  // Resolves `names` (each passed check()); get(i) then gives field names[i].
  virtual void bind(const std::vector<std::string>& names) = 0;

  // Parses `line`, which must stay valid until the next parse. Returns false if it does not have
  // the format's shape.
  virtual bool parse(std::string_view line) = 0;

  // Field `id` of the last parsed line (valid until the next parse); empty if it has none.
  virtual std::string_view get(std::size_t id) = 0;
};

// The parser of `format`; `header`: csv/tsv/fields lines are named by a header.
std::unique_ptr<FormatParser> make_parser(LogFormat format, bool header);

// --- Skipped lines (log_formats.cpp) -------------------------------------------------------------

// The example of a skipped line: `file:line: reason: "text"`, with `text` cut to k_example_bytes
// (at a UTF-8 character boundary) and its control characters escaped (\t, \xHH).
std::string
skip_example(std::string_view file, std::uint64_t line, SkipReason reason, std::string_view text);

// --- Input files (log_input.cpp) -----------------------------------------------------------------

struct RawLine {
  std::string_view text; // without '\n' (a '\r' before it kept); a too long line: its start
  std::uint64_t number = 0;
  bool too_long = false; // longer than k_max_line
};

// The physical lines of a file, stdin or a gzip child's output, read in k_chunk_size chunks.
class InputFile {
public:
  // Opens `path` ("-" = stdin); a file starting with 1f 8b is read through `gzip -dc -- PATH`.
  // Errors (Errc::io): `PATH: cannot open: <reason>`, `PATH: read error: <reason>`, `PATH:
  // cannot run gzip: <reason>`.
  static core::Result<std::unique_ptr<InputFile>> open(const std::string& path);

  // Kills and reaps a gzip child still running.
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // The next line (valid until the next call), or nullopt at the end. A last line without '\n'
  // counts. Errors (Errc::io): `PATH: read error: <reason>`; at the end, `PATH: gzip: <its first
  // stderr line>` when gzip exits non-zero.
  core::Result<std::optional<RawLine>> next();

  // The name of the input in messages: its path, or `stdin`.
  const std::string& name() const { return m_name; }

private:
  InputFile(int fd, bool owned, std::string name);

  core::Result<void> spawn_gzip(const std::string& path);
  // Reads more into the buffer; false at the end of the input.
  core::Result<bool> fill();
  // Reaps the gzip child; its failure as an error.
  core::Result<void> finish_child();
  // The line in m_buffer[begin, end), numbered.
  RawLine take(std::size_t begin, std::size_t end);

  int m_fd = -1;
  bool m_owned = false;
  std::string m_name;
  pid_t m_child = -1;
  int m_child_stderr = -1;
  std::vector<char> m_buffer;
  std::size_t m_begin = 0; // start of the current line
  std::size_t m_scan = 0;  // searched for '\n' up to here
  std::size_t m_end = 0;
  bool m_eof = false;
  bool m_discarding = false; // in a line over k_max_line, whose start is m_long_start
  std::string m_long_start;
  std::uint64_t m_number = 0;
};

} // namespace cachewarm::predict::detail
