#pragma once

// Access logs read as a stream of requests (time, key, client, segment) for key prediction:
// web server logs (combined, common), JSON Lines, CSV, TSV and whitespace-separated traces,
// plain or gzip-compressed.

#include "cachewarm/core/result.hpp"
#include "cachewarm/predict/segments.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::predict {

// The layout of a log's lines.
enum class LogFormat {
  combined, // Apache/nginx combined: host ident user [time] "request" status bytes "ref" "agent"
  common,   // the same without referer and agent
  jsonl,    // one JSON object per line
  csv,      // RFC 4180, one record per line
  tsv,      // tab-separated, no quoting
  fields,   // runs of spaces and tabs separate fields
};

// How a log's time field is written.
enum class TimeUnit {
  clf,      // 17/May/2015:10:05:03 +0000
  iso8601,  // 2015-05-17T10:05:03Z, 2015-05-17T10:05:03.25+02:00, 2015-05-17 10:05:03 (UTC)
  s,        // seconds since the Unix epoch, fractional allowed
  ms,       // milliseconds since the Unix epoch
  us,       // microseconds since the Unix epoch
  ns,       // nanoseconds since the Unix epoch
  filetime, // 100 ns ticks since 1601-01-01 UTC (Windows, SNIA traces)
};

// The LogFormat named `word` (combined, common, jsonl, csv, tsv, fields). Error (Errc::usage):
// `unknown log format "x" (accepted: combined, common, jsonl, csv, tsv, fields)`.
[[nodiscard]] core::Result<LogFormat> parse_log_format(std::string_view word);

// The TimeUnit named `word` (clf, iso8601, s, ms, us, ns, filetime). Error (Errc::usage):
// `unknown time unit "x" (accepted: clf, iso8601, s, ms, us, ns, filetime)`.
[[nodiscard]] core::Result<TimeUnit> parse_time_unit(std::string_view word);

// A key rule: where `match` finds a match in the rendered `field`, `key` gives the key.
struct KeyRule {
  std::string match; // regex (ECMAScript) with optional named groups (?<name>...)
  std::string key;   // template over the named groups and the line's fields (a group shadows a
                     // field of the same name); numbered groups are not addressable
  std::string field; // template the regex is matched against; empty = "{path}"
};

// What to read from a log and how. Templates are core::Template texts (`{path}`, `{3}:{5}`,
// `{a.b}`) over the format's fields: named fields (combined/common: host, ident, user, time,
// request, method, path, protocol, status, bytes, referer, agent; csv/tsv/fields with `header`:
// the header's names; jsonl: members, dotted names walking nested objects) and numbered fields
// {1}.. (all but jsonl). A missing or empty field makes a template fail.
struct LogSpec {
  LogFormat format = LogFormat::combined;
  bool header = false;               // csv/tsv/fields: the first line of each file names the fields
  std::string time_field;            // empty = "time" for combined/common; required for others;
                                     // jsonl: also a JSON pointer (`/a/b`)
  std::optional<TimeUnit> time_unit; // empty = clf for combined/common, s otherwise
  std::string key;            // key template, e.g. "{path}" or "{3}:{5}"; or empty with rules
  std::vector<KeyRule> rules; // tried in order, first match wins (then `key` is unused)
  std::string client;         // template naming the client (sequence features); empty =
                              // "{host}" for combined/common, none otherwise
  std::string segment;        // template of the segment (--by); empty = none
  // With `segment` rendering a client address: the segment is the name of its longest matching
  // prefix, k_other_segment when none matches. Checked by LogReader::open (Errc::usage).
  std::vector<SegmentPrefix> segment_prefixes;
  std::vector<int> status_classes;  // keep only these classes 1..5 (2 = 2xx); empty = all
  std::vector<std::string> methods; // keep only these methods (case-sensitive); empty = all
  std::string path_regex;           // keep only lines whose {path} matches (regex_search); empty =
                                    // all
};

// One request of a log.
struct Request {
  double time = 0; // seconds since the Unix epoch (fractional)
  std::string key;
  std::string client;  // empty when no client template
  std::string segment; // empty when no segment template
};

// Why a line gave no request. Counted; never fatal.
enum class SkipReason {
  unparsed, // not the format's shape (or longer than 1 MiB)
  bad_time, // the time field is missing, empty or not in the time unit
  filtered, // left out by a status, method or path filter
  no_rule,  // no rule matched
  no_key,   // a field of the key (or client, or segment) template is missing or empty
};

// The name of `reason`: "unparsed", "bad_time", "filtered", "no_rule", "no_key".
std::string_view skip_reason_name(SkipReason reason);

// What a LogReader read so far.
struct SkipCounts {
  std::uint64_t lines = 0;                // every line read (blank lines and headers excluded)
  std::uint64_t requests = 0;             // lines that gave a request
  std::array<std::uint64_t, 5> skipped{}; // by SkipReason
  std::vector<std::string> examples;      // the first 5 skipped lines (all reasons but
                                          // `filtered`) as `file:line: reason: "text"` (text cut
                                          // to 120 bytes at a UTF-8 boundary, control characters
                                          // escaped as \t or \xHH; stdin is named `stdin`)
};

namespace detail {
struct ReaderState;
} // namespace detail

// Reads the requests of one or more log files, in order. Single-threaded; owns the files it
// opens and any gzip child process (killed and reaped when the reader is destroyed).
class LogReader {
public:
  // Validates `spec` and opens the first of `files`. `files`: paths, "-" = stdin (plain text
  // only). A file whose first two bytes are 1f 8b is gzip, decompressed by a `gzip -dc -- PATH`
  // child process. Errors: Errc::usage (no files; no key and no rules; a template that does not
  // parse; a field the format does not have, `--key {x}: unknown field x (available: host, ...)`,
  // checked here when the format's field names are known up front, i.e. all but csv/tsv/fields
  // with a header (checked by next() at each file's header) and jsonl (any member may be there);
  // a bad regex or a named group used twice, `rule 2: match ...: <why>`; no time field for a
  // format without a default; a status class outside 1..5; a header for combined, common or
  // jsonl); Errc::io (the first file cannot be opened or read, `PATH: cannot open: <reason>`, or
  // gzip cannot be started, `PATH: cannot run gzip: <reason>`).
  [[nodiscard]] static core::Result<std::unique_ptr<LogReader>>
  open(LogSpec spec, std::vector<std::string> files);

  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // Fills `request` with the next request (its strings are reused: no allocation per line once
  // they are large enough) and returns true, or returns false at the end of the last file. Lines
  // are `\n`-terminated, a trailing `\r` is dropped, blank lines are ignored, a line over 1 MiB
  // is `unparsed`; lines that give no request are counted in counts(). Errors: Errc::io when a
  // file cannot be opened or read, or its gzip exits non-zero (`PATH: gzip: <its first stderr
  // line>`): the message names the file, and the next call goes on with the next file;
  // Errc::usage when a file's header lacks a field the spec uses (`PATH: --key {x}: unknown
  // field x (available: a, b, 1..2)`); Errc::io for a header that cannot be split (`PATH:1:
  // malformed header`).
  [[nodiscard]] core::Result<bool> next(Request& request);

  // What was read so far.
  const SkipCounts& counts() const;

private:
  explicit LogReader(std::unique_ptr<detail::ReaderState> state);

  std::unique_ptr<detail::ReaderState> m_state;
};

} // namespace cachewarm::predict
