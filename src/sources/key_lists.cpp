#include "cachewarm/sources/key_lists.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace cachewarm::sources {

namespace {

using Json = nlohmann::json;

// Streamed files are read in chunks of this size.
constexpr std::size_t k_chunk_size = 64 * 1024;
// A line (or CSV record) longer than this is a bad row: it bounds memory for files without
// newlines, whatever their size.
constexpr std::size_t k_max_line = 8 * 1024 * 1024;
constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";

std::string
join(const std::vector<std::string>& names)
{
  std::string out;
  for (const std::string& name : names) {
    out += out.empty() ? name : ", " + name;
  }
  return out;
}

std::string
in_quotes(std::string_view text)
{
  return "\"" + std::string(text) + "\"";
}

core::Result<void>
check_options(const KeyListOptions& options)
{
  if (options.field.empty()) {
    if (options.format == KeyListFormat::jsonl) {
      return core::fail(core::Errc::manifest,
                        "format jsonl needs a field (the member that holds each key)");
    }
    if (options.format == KeyListFormat::csv) {
      return core::fail(core::Errc::manifest,
                        "format csv needs a field (the column that holds each key)");
    }
  }
  return {};
}

// Sets a row's key from its fields: the key template rendered over them, or the key field.
class KeyMaker {
public:
  KeyMaker(std::optional<core::BoundTemplate> key, std::size_t field)
      : m_key(std::move(key))
      , m_field(field)
  {}

  // Fills `row.key`; returns a reason when the row cannot give a key, else an empty string.
  std::string make(core::Row& row) const
  {
    row.key.clear();
    if (m_key) {
      if (!m_key->render_to(row.key, row.fields)) {
        return "a field of the key template is missing";
      }
    } else if (row.fields[m_field]) {
      row.key = *row.fields[m_field];
    } else {
      return "the key field is missing";
    }
    if (row.key.empty()) {
      return "empty key";
    }
    return {};
  }

private:
  std::optional<core::BoundTemplate> m_key;
  std::size_t m_field = 0;
};

// Binds the optional key template to `names`; the key field is `names[field]` otherwise.
core::Result<KeyMaker>
make_key_maker(const KeyListOptions& options,
               const std::vector<std::string>& names,
               std::size_t field)
{
  if (!options.key) {
    return KeyMaker(std::nullopt, field);
  }
  core::Result<core::BoundTemplate> bound = options.key->bind(names);
  if (!bound) {
    return tl::unexpected(
        core::with_context(bound.error(), "key template \"" + options.key->text() + "\""));
  }
  return KeyMaker(std::move(*bound), field);
}

core::Failure
bad_row(std::string_view unit, std::uint64_t number, const std::string& reason)
{
  // The row has no key: its position stands in (the report shows "line 3: <reason>").
  return core::Failure{std::string(unit) + " " + std::to_string(number), "bad_key_row", reason};
}

// The key text of a JSON value: strings as they are, numbers and booleans as their JSON text.
// Returns false with `why` set for null, objects and arrays.
bool
scalar_text(const Json& value, std::string& out, std::string& why)
{
  switch (value.type()) {
  case Json::value_t::string:
    out = value.get_ref<const std::string&>();
    return true;
  case Json::value_t::boolean:
  case Json::value_t::number_integer:
  case Json::value_t::number_unsigned:
  case Json::value_t::number_float:
    out = value.dump();
    return true;
  case Json::value_t::null:
    why = "null";
    return false;
  default:
    why = std::string("an ") + value.type_name();
    return false;
  }
}

// Member `field` of `value` as key text, or the reason it gives none.
bool
member_text(const Json& value, const std::string& field, std::string& out, std::string& why)
{
  if (!value.is_object()) {
    why = std::string("expected a json object, got ") + value.type_name();
    return false;
  }
  const auto member = value.find(field);
  if (member == value.end()) {
    why = "no member " + in_quotes(field);
    return false;
  }
  if (!scalar_text(*member, out, why)) {
    why = "member " + in_quotes(field) + " is " + why;
    return false;
  }
  return true;
}

// --- Streamed formats: lines, jsonl, csv -------------------------------------------------------

struct Line {
  std::string_view text; // without its '\n'; a '\r' before it is kept
  std::uint64_t number = 0;
  bool too_long = false; // `text` was cut at k_max_line bytes
};

// Physical lines of a stream, read in chunks of k_chunk_size: memory stays under
// k_chunk_size + k_max_line whatever the size of the input. A UTF-8 byte order mark is dropped.
class LineReader {
public:
  LineReader(std::unique_ptr<std::istream> in, std::string origin)
      : m_in(std::move(in))
      , m_origin(std::move(origin))
      , m_chunk(k_chunk_size)
  {}

  // The next line (valid until the next call), or nullopt at the end of the input.
  // Errors: Errc::source when reading fails.
  core::Result<std::optional<Line>> next()
  {
    m_line.clear();
    bool too_long = false;
    bool any = false;
    for (;;) {
      if (m_pos == m_end) {
        CW_TRY_ASSIGN(bool filled, fill());
        if (!filled) {
          break;
        }
      }
      any = true;
      const char* begin = m_chunk.data() + m_pos;
      const std::size_t available = m_end - m_pos;
      const void* newline = std::memchr(begin, '\n', available);
      const std::size_t length =
          newline != nullptr ? static_cast<std::size_t>(static_cast<const char*>(newline) - begin)
                             : available;
      const std::size_t room = k_max_line - m_line.size();
      if (length > room) {
        too_long = true;
      }
      m_line.append(begin, std::min(length, room));
      m_pos += length;
      if (newline != nullptr) {
        ++m_pos;
        return Line{m_line, ++m_number, too_long};
      }
    }
    if (!any) {
      return std::nullopt;
    }
    return Line{m_line, ++m_number, too_long};
  }

  const std::string& origin() const { return m_origin; }

private:
  // Reads the next chunk; false at the end of the input.
  core::Result<bool> fill()
  {
    if (m_eof) {
      return false;
    }
    m_in->read(m_chunk.data(), static_cast<std::streamsize>(m_chunk.size()));
    const std::streamsize got = m_in->gcount();
    if (m_in->bad()) {
      m_eof = true;
      return core::fail(core::Errc::source, m_origin + ": read error");
    }
    if (got <= 0) {
      m_eof = true;
      return false;
    }
    m_pos = 0;
    m_end = static_cast<std::size_t>(got);
    if (m_first_chunk) {
      m_first_chunk = false;
      if (std::string_view(m_chunk.data(), m_end).starts_with(k_utf8_bom)) {
        m_pos = k_utf8_bom.size();
      }
    }
    return true;
  }

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

std::string_view
without_cr(std::string_view text)
{
  if (text.ends_with('\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string
too_long_reason()
{
  return "longer than " + std::to_string(k_max_line) + " bytes";
}

// One CSV record (RFC 4180): its cells, the line it starts on, or why it is malformed.
struct CsvRecord {
  std::vector<std::string> cells;
  std::uint64_t line = 0;
  std::string error;
};

enum class CsvState { field_start, unquoted, quoted, quote_in_quoted };

// Reads the next CSV record, skipping blank lines; false at the end of the input. Quoted cells
// may hold commas, `""` and line breaks (kept as they are in the file, CRLF included).
core::Result<bool>
read_csv_record(LineReader& reader, CsvRecord& record)
{
  record.cells.clear();
  record.error.clear();
  std::string cell;
  CsvState state = CsvState::field_start;
  bool started = false;
  std::size_t bytes = 0;
  for (;;) {
    CW_TRY_ASSIGN(std::optional<Line> line, reader.next());
    if (!line) {
      if (!started) {
        return false;
      }
      record.error = "unterminated quoted field";
      return true;
    }
    if (!started) {
      record.line = line->number;
      if (!line->too_long && without_cr(line->text).empty()) {
        continue;
      }
      started = true;
    }
    bytes += line->text.size() + 1;
    if (line->too_long || bytes > k_max_line) {
      record.error = too_long_reason();
      return true;
    }
    const bool crlf = line->text.ends_with('\r');
    const std::string_view text = without_cr(line->text);
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      switch (state) {
      case CsvState::field_start:
        if (c == '"') {
          state = CsvState::quoted;
        } else if (c == ',') {
          record.cells.push_back(std::move(cell));
          cell.clear();
        } else {
          cell += c;
          state = CsvState::unquoted;
        }
        break;
      case CsvState::unquoted:
        // A quote inside an unquoted cell is not RFC 4180, but common: keep it.
        if (c == ',') {
          record.cells.push_back(std::move(cell));
          cell.clear();
          state = CsvState::field_start;
        } else {
          cell += c;
        }
        break;
      case CsvState::quoted:
        if (c == '"') {
          state = CsvState::quote_in_quoted;
        } else {
          cell += c;
        }
        break;
      case CsvState::quote_in_quoted:
        if (c == '"') {
          cell += '"';
          state = CsvState::quoted;
        } else if (c == ',') {
          record.cells.push_back(std::move(cell));
          cell.clear();
          state = CsvState::field_start;
        } else {
          record.error =
              "unexpected character after a closing quote (column " + std::to_string(i + 1) + ")";
          return true;
        }
        break;
      }
    }
    if (state == CsvState::quoted) {
      cell += crlf ? "\r\n" : "\n";
      continue;
    }
    record.cells.push_back(std::move(cell));
    return true;
  }
}

class StreamedKeys final : public KeySource {
public:
  StreamedKeys(LineReader reader,
               KeyListFormat format,
               std::vector<std::string> fields,
               KeyMaker key,
               std::string member)
      : m_reader(std::move(reader))
      , m_format(format)
      , m_fields(std::move(fields))
      , m_key(std::move(key))
      , m_member(std::move(member))
  {}

  const std::vector<std::string>& fields() const override { return m_fields; }

  core::Result<bool>
  next(std::size_t max, std::vector<core::Row>& rows, std::vector<core::Failure>& failures) override
  {
    if (m_done) {
      return false;
    }
    for (std::size_t n = 0; n < max;) {
      core::Row row;
      std::string error;
      std::uint64_t line = 0;
      core::Result<Outcome> outcome = read_row(row, error, line);
      if (!outcome) {
        m_done = true;
        return tl::unexpected(std::move(outcome.error()));
      }
      if (*outcome == Outcome::end) {
        m_done = true;
        return false;
      }
      if (*outcome == Outcome::skip) {
        continue;
      }
      if (error.empty()) {
        error = m_key.make(row);
      }
      if (error.empty()) {
        rows.push_back(std::move(row));
      } else {
        failures.push_back(bad_row("line", line, error));
      }
      ++n;
    }
    return true;
  }

private:
  enum class Outcome { end, skip, row };

  // Reads the next record into `row.fields` (or `error`, for a bad row) and its `line`.
  core::Result<Outcome> read_row(core::Row& row, std::string& error, std::uint64_t& line)
  {
    if (m_format == KeyListFormat::csv) {
      CW_TRY_ASSIGN(bool more, read_csv_record(m_reader, m_record));
      if (!more) {
        return Outcome::end;
      }
      line = m_record.line;
      if (!m_record.error.empty()) {
        error = std::move(m_record.error);
      } else if (m_record.cells.size() != m_fields.size()) {
        error = "expected " + std::to_string(m_fields.size()) + " columns (the header's), got "
                + std::to_string(m_record.cells.size());
      } else {
        row.fields.assign(std::make_move_iterator(m_record.cells.begin()),
                          std::make_move_iterator(m_record.cells.end()));
      }
      return Outcome::row;
    }
    CW_TRY_ASSIGN(std::optional<Line> next, m_reader.next());
    if (!next) {
      return Outcome::end;
    }
    line = next->number;
    if (next->too_long) {
      error = too_long_reason();
      return Outcome::row;
    }
    const std::string_view text = without_cr(next->text);
    if (m_format == KeyListFormat::lines) {
      if (text.empty() || text.front() == '#') {
        return Outcome::skip;
      }
      row.fields.emplace_back(std::string(text));
      return Outcome::row;
    }
    if (text.find_first_not_of(" \t") == std::string_view::npos) {
      return Outcome::skip;
    }
    parse_jsonl(text, row, error);
    return Outcome::row;
  }

  void parse_jsonl(std::string_view text, core::Row& row, std::string& error) const
  {
    Json value;
    try {
      value = Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
      error = "not valid json at column " + std::to_string(e.byte);
      return;
    } catch (const Json::exception&) {
      error = "not valid json";
      return;
    }
    std::string out;
    if (member_text(value, m_member, out, error)) {
      row.fields.emplace_back(std::move(out));
    }
  }

  LineReader m_reader;
  KeyListFormat m_format;
  std::vector<std::string> m_fields;
  KeyMaker m_key;
  std::string m_member;
  CsvRecord m_record;
  bool m_done = false;
};

core::Result<std::unique_ptr<KeySource>>
open_streamed(std::unique_ptr<std::istream> in,
              const std::string& origin,
              const KeyListOptions& options)
{
  LineReader reader(std::move(in), origin);
  std::vector<std::string> fields;
  std::size_t key_field = 0;
  switch (options.format) {
  case KeyListFormat::lines:
    fields = {"line"};
    break;
  case KeyListFormat::jsonl:
    fields = {options.field};
    break;
  default: {
    // The header names the fields: read it now so a wrong `field` or key template fails before
    // any row.
    CsvRecord header;
    CW_TRY_ASSIGN(bool found, read_csv_record(reader, header));
    if (!found) {
      return core::fail(core::Errc::source, origin + ": empty csv file (no header line)");
    }
    if (!header.error.empty()) {
      return core::fail(core::Errc::source,
                        origin + ": line " + std::to_string(header.line) + ": " + header.error);
    }
    fields = std::move(header.cells);
    const auto found_field = std::find(fields.begin(), fields.end(), options.field);
    if (found_field == fields.end()) {
      return core::fail(core::Errc::manifest,
                        origin + ": field " + in_quotes(options.field)
                            + " is not a column of the csv header (available: " + join(fields)
                            + ")");
    }
    key_field = static_cast<std::size_t>(found_field - fields.begin());
    break;
  }
  }
  CW_TRY_ASSIGN(KeyMaker key, make_key_maker(options, fields, key_field));
  return std::make_unique<StreamedKeys>(
      std::move(reader), options.format, std::move(fields), std::move(key), options.field);
}

// --- Documents parsed whole: json, sitemap -----------------------------------------------------

// Rows (or bad rows) of a document parsed up front.
class BufferedKeys final : public KeySource {
public:
  BufferedKeys(std::vector<std::string> fields,
               std::vector<std::variant<core::Row, core::Failure>> items)
      : m_fields(std::move(fields))
      , m_items(std::move(items))
  {}

  const std::vector<std::string>& fields() const override { return m_fields; }

  core::Result<bool>
  next(std::size_t max, std::vector<core::Row>& rows, std::vector<core::Failure>& failures) override
  {
    for (std::size_t n = 0; n < max && m_next < m_items.size(); ++n, ++m_next) {
      auto& item = m_items[m_next];
      if (core::Row* row = std::get_if<core::Row>(&item)) {
        rows.push_back(std::move(*row));
      } else {
        failures.push_back(std::move(std::get<core::Failure>(item)));
      }
    }
    return m_next < m_items.size();
  }

  std::optional<std::uint64_t> size_hint() const override { return m_items.size(); }

private:
  std::vector<std::string> m_fields;
  std::vector<std::variant<core::Row, core::Failure>> m_items;
  std::size_t m_next = 0;
};

// Appends `row` (with its key made) or, if it gives no key, a bad row named `unit number`.
void
add_item(std::vector<std::variant<core::Row, core::Failure>>& items,
         const KeyMaker& key,
         core::Row row,
         std::string_view unit,
         std::uint64_t number)
{
  const std::string error = key.make(row);
  if (error.empty()) {
    items.emplace_back(std::move(row));
  } else {
    items.emplace_back(bad_row(unit, number, error));
  }
}

std::string
json_reason(const Json::exception& e)
{
  // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
  const std::string_view what = e.what();
  const std::size_t end = what.starts_with('[') ? what.find("] ") : std::string_view::npos;
  return std::string(end == std::string_view::npos ? what : what.substr(end + 2));
}

core::Result<std::unique_ptr<KeySource>>
parse_json_array(const std::string& document,
                 const std::string& origin,
                 const KeyListOptions& options)
{
  Json array;
  try {
    array = Json::parse(document);
  } catch (const Json::exception& e) {
    return core::fail(core::Errc::source, origin + ": not valid json: " + json_reason(e));
  }
  if (!array.is_array()) {
    return core::fail(core::Errc::source,
                      origin + ": expected a json array, got " + array.type_name());
  }
  const bool objects = !options.field.empty();
  if (!objects) {
    const auto object = std::find_if(
        array.begin(), array.end(), [](const Json& element) { return element.is_object(); });
    if (object != array.end()) {
      return core::fail(core::Errc::manifest,
                        origin + ": element " + std::to_string(object - array.begin() + 1)
                            + " is an object: set field to the member that holds each key");
    }
  }
  std::vector<std::string> fields = {objects ? options.field : "value"};
  CW_TRY_ASSIGN(KeyMaker key, make_key_maker(options, fields, 0));
  std::vector<std::variant<core::Row, core::Failure>> items;
  items.reserve(array.size());
  std::uint64_t number = 0;
  for (const Json& element : array) {
    ++number;
    std::string text;
    std::string why;
    const bool ok =
        objects ? member_text(element, options.field, text, why) : scalar_text(element, text, why);
    if (!ok) {
      items.emplace_back(
          bad_row("element", number, objects ? why : "expected a string, got " + why));
      continue;
    }
    core::Row row;
    row.fields.emplace_back(std::move(text));
    add_item(items, key, std::move(row), "element", number);
  }
  return std::make_unique<BufferedKeys>(std::move(fields), std::move(items));
}

bool
is_xml_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view
trim_xml_space(std::string_view text)
{
  while (!text.empty() && is_xml_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_xml_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

void
append_utf8(std::string& out, std::uint32_t code)
{
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// The code point of a numeric character reference's digits ("65" or "x41"), or nullopt.
std::optional<std::uint32_t>
character_reference(std::string_view digits)
{
  int base = 10;
  if (!digits.empty() && digits.front() == 'x') {
    base = 16;
    digits.remove_prefix(1);
  }
  if (digits.empty() || digits.size() > 8) {
    return std::nullopt;
  }
  std::uint32_t code = 0;
  for (const char c : digits) {
    std::uint32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint32_t>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      digit = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    code = code * static_cast<std::uint32_t>(base) + digit;
  }
  if (code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return std::nullopt;
  }
  return code;
}

// Appends XML character data with its entities decoded; returns the reason if one is invalid.
std::string
append_xml_text(std::string& out, std::string_view text)
{
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t amp = text.find('&', i);
    out.append(text.substr(i, amp - i));
    if (amp == std::string_view::npos) {
      break;
    }
    const std::size_t semicolon = text.find(';', amp);
    if (semicolon == std::string_view::npos) {
      return "'&' without ';'";
    }
    const std::string_view name = text.substr(amp + 1, semicolon - amp - 1);
    if (name == "amp") {
      out += '&';
    } else if (name == "lt") {
      out += '<';
    } else if (name == "gt") {
      out += '>';
    } else if (name == "quot") {
      out += '"';
    } else if (name == "apos") {
      out += '\'';
    } else if (name.starts_with('#')) {
      const std::optional<std::uint32_t> code = character_reference(name.substr(1));
      if (!code) {
        return "invalid character reference &" + std::string(name) + ";";
      }
      append_utf8(out, *code);
    } else {
      return "unknown entity &" + std::string(name) + ";";
    }
    i = semicolon + 1;
  }
  return {};
}

// The path and query of `url` ("https://h/a/b?q#f" -> "/a/b?q"); "/" when it has none.
std::string
url_path(std::string_view url)
{
  const std::size_t scheme = url.find("://");
  if (scheme != std::string_view::npos
      && url.substr(0, scheme).find_first_of("/?#") == std::string_view::npos) {
    const std::size_t start = url.find_first_of("/?#", scheme + 3);
    url = start == std::string_view::npos ? std::string_view() : url.substr(start);
  }
  url = url.substr(0, url.find('#'));
  if (url.empty() || url.front() != '/') {
    return "/" + std::string(url);
  }
  return std::string(url);
}

// True if `document` has the tag name `name` at `pos` (just after '<'), ended by '>', '/' or
// space: so "<loc>" matches "loc" but "<location>" and "<image:loc>" do not.
bool
tag_at(std::string_view document, std::size_t pos, std::string_view name)
{
  if (document.substr(pos, name.size()) != name || pos + name.size() >= document.size()) {
    return false;
  }
  const char next = document[pos + name.size()];
  return next == '>' || next == '/' || is_xml_space(next);
}

// Every <loc> of a sitemap or sitemap index, in document order, with the line it starts on.
// Comments and CDATA sections outside <loc> are skipped; CDATA inside <loc> is taken raw.
core::Result<std::unique_ptr<KeySource>>
parse_sitemap(std::string_view document, const std::string& origin, const KeyListOptions& options)
{
  std::vector<std::string> fields = {"url", "path"};
  CW_TRY_ASSIGN(KeyMaker key, make_key_maker(options, fields, 0));
  std::vector<std::variant<core::Row, core::Failure>> items;
  std::uint64_t line = 1;
  std::size_t counted = 0; // newlines are counted up to here
  const auto line_at = [&](std::size_t pos) {
    line += static_cast<std::uint64_t>(
        std::count(document.begin() + static_cast<std::ptrdiff_t>(counted),
                   document.begin() + static_cast<std::ptrdiff_t>(pos),
                   '\n'));
    counted = pos;
    return line;
  };
  const auto malformed = [&](std::size_t pos, const std::string& what) {
    return core::fail(core::Errc::source,
                      origin + ": line " + std::to_string(line_at(pos)) + ": " + what);
  };
  std::size_t pos = 0;
  while ((pos = document.find('<', pos)) != std::string_view::npos) {
    const std::string_view rest = document.substr(pos);
    if (rest.starts_with("<!--")) {
      const std::size_t end = document.find("-->", pos + 4);
      if (end == std::string_view::npos) {
        return malformed(pos, "unterminated comment");
      }
      pos = end + 3;
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      const std::size_t end = document.find("]]>", pos + 9);
      if (end == std::string_view::npos) {
        return malformed(pos, "unterminated cdata section");
      }
      pos = end + 3;
      continue;
    }
    if (!tag_at(document, pos + 1, "loc")) {
      ++pos;
      continue;
    }
    const std::uint64_t loc_line = line_at(pos);
    const std::size_t tag_end = document.find('>', pos);
    if (tag_end == std::string_view::npos) {
      return malformed(pos, "unterminated <loc>");
    }
    std::string url;
    std::string error;
    if (document[tag_end - 1] == '/') {
      error = "empty <loc/>";
      pos = tag_end + 1;
    } else {
      // The text up to </loc>: character data with entities, and CDATA sections taken raw.
      std::size_t at = tag_end + 1;
      for (;;) {
        const std::size_t open = document.find('<', at);
        if (open == std::string_view::npos) {
          return malformed(pos, "unterminated <loc>");
        }
        if (error.empty()) {
          error = append_xml_text(url, document.substr(at, open - at));
        }
        const std::string_view tag = document.substr(open);
        if (tag.starts_with("<![CDATA[")) {
          const std::size_t end = document.find("]]>", open + 9);
          if (end == std::string_view::npos) {
            return malformed(open, "unterminated cdata section");
          }
          url.append(document.substr(open + 9, end - open - 9));
          at = end + 3;
          continue;
        }
        if (!tag.starts_with("</loc")) {
          return malformed(pos, "unterminated <loc>");
        }
        const std::size_t close = document.find('>', open);
        if (close == std::string_view::npos
            || trim_xml_space(document.substr(open + 5, close - open - 5)).size() != 0) {
          return malformed(pos, "unterminated <loc>");
        }
        pos = close + 1;
        break;
      }
    }
    if (!error.empty()) {
      items.emplace_back(bad_row("line", loc_line, error));
      continue;
    }
    const std::string_view trimmed = trim_xml_space(url);
    core::Row row;
    row.fields.emplace_back(std::string(trimmed));
    row.fields.emplace_back(url_path(trimmed));
    add_item(items, key, std::move(row), "line", loc_line);
  }
  return std::make_unique<BufferedKeys>(std::move(fields), std::move(items));
}

core::Result<std::string>
read_whole_file(const std::string& path, std::ifstream& in)
{
  std::string document;
  std::vector<char> chunk(k_chunk_size);
  for (;;) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const std::streamsize got = in.gcount();
    if (in.bad()) {
      return core::fail(core::Errc::source, path + ": read error");
    }
    if (got <= 0) {
      return document;
    }
    document.append(chunk.data(), static_cast<std::size_t>(got));
  }
}

core::Result<std::unique_ptr<std::ifstream>>
open_file(const std::string& path)
{
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return core::fail(core::Errc::source, path + ": cannot open: is a directory");
  }
  errno = 0;
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!in->is_open()) {
    const int error = errno;
    std::string reason = error != 0 ? std::strerror(error) : "cannot open";
    if (!reason.empty()) {
      reason.front() = static_cast<char>(std::tolower(static_cast<unsigned char>(reason.front())));
    }
    return core::fail(core::Errc::source, path + ": cannot open: " + reason);
  }
  return in;
}

} // namespace

core::Result<std::unique_ptr<KeySource>>
open_key_file(const std::string& path, const KeyListOptions& options)
{
  CW_TRY(check_options(options));
  CW_TRY_ASSIGN(std::unique_ptr<std::ifstream> in, open_file(path));
  if (options.format == KeyListFormat::json || options.format == KeyListFormat::sitemap) {
    CW_TRY_ASSIGN(std::string document, read_whole_file(path, *in));
    return parse_key_document(std::move(document), path, options);
  }
  return open_streamed(std::move(in), path, options);
}

core::Result<std::unique_ptr<KeySource>>
parse_key_document(std::string document, const std::string& origin, const KeyListOptions& options)
{
  CW_TRY(check_options(options));
  switch (options.format) {
  case KeyListFormat::json:
    return parse_json_array(document, origin, options);
  case KeyListFormat::sitemap:
    return parse_sitemap(document, origin, options);
  case KeyListFormat::lines:
  case KeyListFormat::jsonl:
  case KeyListFormat::csv:
    break;
  }
  return open_streamed(std::make_unique<std::istringstream>(std::move(document)), origin, options);
}

} // namespace cachewarm::sources
