#pragma once

// Private to the key-list parts of src/sources, which together implement key_lists.hpp:
// key_lists.cpp (open_key_file, parse_key_document: files and documents in memory),
// key_rows.cpp (keys and bad rows of every format, the rows of documents parsed whole),
// line_reader.cpp, csv_reader.cpp, streamed_keys.cpp (lines, jsonl and csv, streamed),
// json_keys.cpp (jsonl rows, json arrays) and sitemap_keys.cpp.

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/core/types.hpp"
#include "cachewarm/sources/key_lists.hpp"
#include "cachewarm/sources/source.hpp"

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cachewarm::sources::detail {

// Streamed files are read in chunks of this size.
inline constexpr std::size_t k_chunk_size = 64 * 1024;
// A line (or CSV record) longer than this is a bad row: it bounds memory for files without
// newlines, whatever their size.
inline constexpr std::size_t k_max_line = 8 * 1024 * 1024;

// --- Keys and bad rows (key_rows.cpp) ------------------------------------------------------------

// `text` in double quotes, for messages.
std::string in_quotes(std::string_view text);

// Sets a row's key from its fields: the key template rendered over them, or the key field.
class KeyMaker {
public:
  KeyMaker(std::optional<core::BoundTemplate> key, std::size_t field);

  // Fills `row.key`; returns a reason when the row cannot give a key (a field of the template or
  // the key field is missing, or the key is empty), else an empty string.
  std::string make(core::Row& row) const;

private:
  std::optional<core::BoundTemplate> m_key;
  std::size_t m_field = 0;
};

// The KeyMaker for rows whose fields are `names`: `options.key` bound to them, or the key field
// `names[field]` when there is no key template. Errors (Errc::manifest): the template names an
// unknown field (`key template "<text>": unknown variable ...`).
core::Result<KeyMaker> make_key_maker(const KeyListOptions& options,
                                      const std::vector<std::string>& names,
                                      std::size_t field);

// The `bad_key_row` failure of a row without a key: its position stands in for the key
// (`unit` "line" and `number` 3 give "line 3"), `reason` is the message.
core::Failure bad_row(std::string_view unit, std::uint64_t number, const std::string& reason);

// The rows (or bad rows) of a document parsed whole, in document order.
using KeyItems = std::vector<std::variant<core::Row, core::Failure>>;

// Appends `row` with its key made by `key` or, if it gives no key, the bad row `unit number`.
void add_item(KeyItems& items,
              const KeyMaker& key,
              core::Row row,
              std::string_view unit,
              std::uint64_t number);

// A KeySource handing out `items` in batches, with `fields` as its field names and the number of
// items as its size hint.
std::unique_ptr<KeySource> make_buffered_keys(std::vector<std::string> fields, KeyItems items);

// A key file opened for reading (binary). Errors: Errc::source, "<path>: cannot open: <reason>"
// (no such file or directory, permission denied, is a directory).
core::Result<std::unique_ptr<std::ifstream>> open_file(const std::string& path);

// --- Physical lines (line_reader.cpp) ------------------------------------------------------------

struct Line {
  std::string_view text; // without its '\n'; a '\r' before it is kept
  std::uint64_t number = 0;
  bool too_long = false; // `text` was cut at k_max_line bytes
};

// Physical lines of a stream, read in chunks of k_chunk_size: memory stays under
// k_chunk_size + k_max_line whatever the size of the input. A UTF-8 byte order mark is dropped.
class LineReader {
public:
  // Reads `in`; `origin` names it in messages.
  LineReader(std::unique_ptr<std::istream> in, std::string origin);

  // The next line (valid until the next call), or nullopt at the end of the input. A last line
  // without '\n' counts; an empty input has no line. Errors: Errc::source when reading fails
  // (`<origin>: read error`).
  core::Result<std::optional<Line>> next();

  const std::string& origin() const { return m_origin; }

private:
  // Reads the next chunk; false at the end of the input.
  core::Result<bool> fill();

  std::unique_ptr<std::istream> m_in;
  std::string m_origin;
  std::vector<char> m_chunk;
  std::size_t m_pos = 0;
  std::size_t m_end = 0;
  std::string m_line;
  std::uint64_t m_number = 0;
  bool m_eof = false;
  bool m_first_chunk = true;
};

// `text` without one trailing '\r'.
std::string_view without_cr(std::string_view text);

// The reason of a bad row for a line or record over k_max_line bytes.
std::string too_long_reason();

// --- CSV records (csv_reader.cpp) ----------------------------------------------------------------

// One CSV record (RFC 4180): its cells, the line it starts on, or why it is malformed.
struct CsvRecord {
  std::vector<std::string> cells;
  std::uint64_t line = 0;
  std::string error; // empty unless malformed
};

// Reads the next CSV record into `record`, skipping blank lines; false at the end of the input.
// Quoted cells may hold commas, `""` and line breaks (kept as they are in the file, CRLF
// included). A malformed record (a character after a closing quote, an unterminated quoted
// field, over k_max_line bytes) is returned with `record.error` set. Errors: as LineReader::next.
core::Result<bool> read_csv_record(LineReader& reader, CsvRecord& record);

// --- Streamed formats: lines, jsonl, csv (streamed_keys.cpp) -------------------------------------

// The KeySource of a lines, jsonl or csv stream `in` (named `origin` in messages), as
// open_key_file describes it. A csv header is read here, so a wrong `field` or key template
// fails before any row. Errors: Errc::source (a read error, an empty csv, a malformed header);
// Errc::manifest (`field` is not a header column, the key template names an unknown field).
core::Result<std::unique_ptr<KeySource>> open_streamed(std::unique_ptr<std::istream> in,
                                                       const std::string& origin,
                                                       const KeyListOptions& options);

// --- JSON: jsonl rows and json arrays (json_keys.cpp) --------------------------------------------

// Parses one jsonl line `text` and appends its member `member` to `row.fields` (strings as they
// are, numbers and booleans as their JSON text). Returns why the line gives no key (not JSON, not
// an object, no such member, a null, object or array member), else an empty string.
std::string parse_jsonl_row(std::string_view text, const std::string& member, core::Row& row);

// The KeySource of a json array `document` (named `origin` in messages), parsed whole: fields
// {value} for an array of strings, {<options.field>} for an array of objects. Errors:
// Errc::source (not JSON, not an array); Errc::manifest (an object element without
// `options.field`, the key template names an unknown field).
core::Result<std::unique_ptr<KeySource>> parse_json_array(const std::string& document,
                                                          const std::string& origin,
                                                          const KeyListOptions& options);

// --- Sitemaps (sitemap_keys.cpp) -----------------------------------------------------------------

// The path and query of `url` ("https://h/a/b?q#f" -> "/a/b?q"); "/" when it has none.
std::string url_path(std::string_view url);

// The KeySource of every <loc> of a sitemap or sitemap index `document` (named `origin` in
// messages), in document order, with fields {url, path}; a bad <loc> (unknown entity, empty) is
// a bad row naming its line. Errors: Errc::source (`<origin>: line N: unterminated <loc>`, or an
// unterminated comment or CDATA section); Errc::manifest (the key template names an unknown
// field).
core::Result<std::unique_ptr<KeySource>>
parse_sitemap(std::string_view document, const std::string& origin, const KeyListOptions& options);

} // namespace cachewarm::sources::detail
