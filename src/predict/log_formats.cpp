// The shapes of access-log lines (combined, common, csv, tsv, fields, jsonl) and the parsers that
// give their fields by id. The combined/common and delimited parsers are hand-written over
// string_views: they run once a line on logs of millions of lines.

#include "log_detail.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <system_error>
#include <utility>

namespace cachewarm::predict::detail {

namespace {

using Json = nlohmann::json;
constexpr std::size_t npos = std::string_view::npos;

// --- Line shapes ---------------------------------------------------------------------------------

// The quoted field whose opening quote is before `pos`, as logged: `pos` moves past the closing
// quote (one not preceded by an odd number of backslashes).
bool
quoted(std::string_view line, std::size_t& pos, std::string_view& value)
{
  const std::size_t start = pos;
  std::size_t close = pos;
  for (;; ++close) {
    close = line.find('"', close);
    if (close == npos) {
      return false;
    }
    std::size_t backslashes = 0;
    while (close - backslashes > start && line[close - backslashes - 1] == '\\') {
      ++backslashes;
    }
    if (backslashes % 2 == 0) {
      break;
    }
  }
  value = line.substr(start, close - start);
  pos = close + 1;
  return true;
}

// Moves `pos` past `first` and `second` if they are next.
bool
expect(std::string_view line, std::size_t& pos, char first, char second)
{
  if (pos + 1 >= line.size() || line[pos] != first || line[pos + 1] != second) {
    return false;
  }
  pos += 2;
  return true;
}

// The first `c` at or after `pos` in a short field, or npos: a byte loop beats a call to memchr
// over a few bytes.
std::size_t
scan(std::string_view line, std::size_t pos, char c)
{
  for (; pos < line.size(); ++pos) {
    if (line[pos] == c) {
      return pos;
    }
  }
  return npos;
}

// Sets method, path and protocol from a request line `METHOD TARGET HTTP/x`.
void
split_request(ClfLine& out)
{
  const std::string_view request = out[static_cast<std::size_t>(ClfField::request)];
  const std::size_t first = request.find(' ');
  const std::size_t last = request.rfind(' ');
  if (first == npos || first == 0 || last <= first + 1
      || !request.substr(last + 1).starts_with("HTTP/")) {
    return;
  }
  out[static_cast<std::size_t>(ClfField::method)] = request.substr(0, first);
  out[static_cast<std::size_t>(ClfField::path)] = request.substr(first + 1, last - first - 1);
  out[static_cast<std::size_t>(ClfField::protocol)] = request.substr(last + 1);
}

} // namespace

bool
parse_clf(std::string_view line, bool combined, ClfLine& out)
{
  out = ClfLine{};
  auto field = [&out](ClfField name) -> std::string_view& {
    return out[static_cast<std::size_t>(name)];
  };
  // host and ident are single words; user runs to ` [`, since a few servers log names with spaces.
  const std::size_t host_end = scan(line, 0, ' ');
  const std::size_t ident_end = host_end == npos ? npos : scan(line, host_end + 1, ' ');
  std::size_t bracket = ident_end == npos ? npos : scan(line, ident_end + 1, '[');
  while (bracket != npos && line[bracket - 1] != ' ') {
    bracket = scan(line, bracket + 1, '[');
  }
  if (host_end == 0 || bracket == npos || bracket - 1 == ident_end) {
    return false;
  }
  field(ClfField::host) = line.substr(0, host_end);
  field(ClfField::ident) = line.substr(host_end + 1, ident_end - host_end - 1);
  field(ClfField::user) = line.substr(ident_end + 1, bracket - ident_end - 2);
  const std::size_t time_end = scan(line, bracket + 1, ']');
  if (time_end == npos) {
    return false;
  }
  field(ClfField::time) = line.substr(bracket + 1, time_end - bracket - 1);
  std::size_t pos = time_end + 1;
  if (!expect(line, pos, ' ', '"') || !quoted(line, pos, field(ClfField::request))
      || pos >= line.size() || line[pos] != ' ') {
    return false;
  }
  const std::size_t status_end = scan(line, ++pos, ' ');
  if (status_end == npos || status_end == pos) {
    return false;
  }
  field(ClfField::status) = line.substr(pos, status_end - pos);
  pos = status_end + 1;
  const std::size_t bytes_end = std::min(scan(line, pos, ' '), line.size());
  if (bytes_end == pos) {
    return false;
  }
  field(ClfField::bytes) = line.substr(pos, bytes_end - pos);
  pos = bytes_end;
  if (combined
      && (!expect(line, pos, ' ', '"') || !quoted(line, pos, field(ClfField::referer))
          || !expect(line, pos, ' ', '"') || !quoted(line, pos, field(ClfField::agent)))) {
    return false;
  }
  if (pos < line.size() && line[pos] != ' ') {
    return false;
  }
  split_request(out);
  return true;
}

std::string_view
clf_unescape(std::string_view raw, std::string& out)
{
  if (raw.find('\\') == npos) {
    return raw;
  }
  out.clear();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '"' || raw[i + 1] == '\\')) {
      ++i;
    }
    out.push_back(raw[i]);
  }
  return out;
}

bool
split_csv(std::string_view line, std::vector<std::string_view>& cells, std::string& scratch)
{
  cells.clear();
  scratch.clear();
  if (scratch.capacity() < line.size()) {
    scratch.reserve(line.size());
  }
  std::size_t pos = 0;
  for (;;) {
    if (pos < line.size() && line[pos] == '"') {
      const std::size_t start = ++pos;
      bool doubled = false;
      for (;;) {
        pos = line.find('"', pos);
        if (pos == npos) {
          return false;
        }
        if (line.substr(pos + 1, 1) != "\"") {
          break;
        }
        doubled = true;
        pos += 2;
      }
      std::string_view cell = line.substr(start, pos - start);
      ++pos;
      if (doubled) {
        // No reallocation (reserved above), so earlier cells in `scratch` stay valid.
        const std::size_t offset = scratch.size();
        for (std::size_t i = 0; i < cell.size(); ++i) {
          scratch.push_back(cell[i]);
          i += cell[i] == '"' ? 1 : 0;
        }
        cell = std::string_view(scratch).substr(offset);
      }
      cells.push_back(cell);
      if (pos == line.size()) {
        return true;
      }
      if (line[pos] != ',') {
        return false;
      }
      ++pos;
      continue;
    }
    const std::size_t comma = line.find(',', pos);
    cells.push_back(line.substr(pos, comma == npos ? npos : comma - pos));
    if (comma == npos) {
      return true;
    }
    pos = comma + 1;
  }
}

void
split_tsv(std::string_view line, std::vector<std::string_view>& cells)
{
  cells.clear();
  for (;;) {
    const std::size_t tab = line.find('\t');
    cells.push_back(line.substr(0, tab));
    if (tab == npos) {
      return;
    }
    line.remove_prefix(tab + 1);
  }
}

void
split_blanks(std::string_view line, std::vector<std::string_view>& cells)
{
  cells.clear();
  std::size_t pos = 0;
  for (;;) {
    pos = line.find_first_not_of(" \t", pos);
    if (pos == npos) {
      return;
    }
    const std::size_t end = std::min(line.find_first_of(" \t", pos), line.size());
    cells.push_back(line.substr(pos, end - pos));
    pos = end;
  }
}

std::string
skip_example(std::string_view file, std::uint64_t line, SkipReason reason, std::string_view text)
{
  std::size_t cut = std::min(text.size(), k_example_bytes);
  // Do not split a UTF-8 character: back off while the first byte left out continues one.
  while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
    --cut;
  }
  std::string out(file);
  out.append(":").append(std::to_string(line)).append(": ");
  out.append(skip_reason_name(reason)).append(": \"");
  constexpr std::string_view k_hex = "0123456789abcdef";
  for (const char c : text.substr(0, cut)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\t') {
      out.append("\\t");
    } else if (byte < 0x20U || byte == 0x7FU) {
      out.append("\\x").push_back(k_hex[byte >> 4U]);
      out.push_back(k_hex[byte & 0x0FU]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

// --- Format parsers ------------------------------------------------------------------------------

namespace {

// The number of a numbered field name (`3`), 0 if it is not one.
std::size_t
field_number(std::string_view name)
{
  std::size_t number = 0;
  const char* end = name.data() + name.size();
  const auto [stop, error] = std::from_chars(name.data(), end, number);
  return error == std::errc() && stop == end ? number : 0;
}

std::string
unknown_field(std::string_view name, std::string_view available)
{
  return "unknown field " + std::string(name) + " (available: " + std::string(available) + ")";
}

class ClfParser final : public FormatParser {
public:
  explicit ClfParser(bool combined)
      : m_combined(combined)
  {}

  bool read_header(std::string_view /*line*/) override { return true; }

  std::optional<std::string> check(std::string_view name) const override
  {
    if (field_of(name)) {
      return std::nullopt;
    }
    return unknown_field(name,
                         m_combined ? "host, ident, user, time, request, method, path, protocol, "
                                      "status, bytes, referer, agent, 1..9"
                                    : "host, ident, user, time, request, method, path, protocol, "
                                      "status, bytes, 1..7");
  }

  void bind(const std::vector<std::string>& names) override
  {
    m_fields.clear();
    for (const std::string& name : names) {
      m_fields.push_back(field_of(name).value_or(0));
    }
  }

  bool parse(std::string_view line) override { return parse_clf(line, m_combined, m_line); }

  std::string_view get(std::size_t id) override
  {
    const std::size_t field = m_fields[id];
    // Unescaped only when asked for: most lines never use referer and agent. A second get() of a
    // field rewrites its string with the same text, so views given earlier stay valid.
    return k_quoted[field] ? clf_unescape(m_line[field], m_unescaped[field]) : m_line[field];
  }

private:
  // The ClfField index of a name or number.
  std::optional<std::size_t> field_of(std::string_view name) const
  {
    static constexpr std::array<std::string_view, k_clf_fields> k_names = {"host",
                                                                           "ident",
                                                                           "user",
                                                                           "time",
                                                                           "request",
                                                                           "method",
                                                                           "path",
                                                                           "protocol",
                                                                           "status",
                                                                           "bytes",
                                                                           "referer",
                                                                           "agent"};
    static constexpr std::array<ClfField, 9> k_numbered = {ClfField::host,
                                                           ClfField::ident,
                                                           ClfField::user,
                                                           ClfField::time,
                                                           ClfField::request,
                                                           ClfField::status,
                                                           ClfField::bytes,
                                                           ClfField::referer,
                                                           ClfField::agent};
    const std::size_t count = m_combined ? k_clf_fields : k_clf_fields - 2;
    const auto* found = std::find(k_names.begin(), k_names.begin() + count, name);
    if (found != k_names.begin() + count) {
      return static_cast<std::size_t>(found - k_names.begin());
    }
    const std::size_t number = field_number(name);
    if (number >= 1 && number <= (m_combined ? 9U : 7U)) {
      return static_cast<std::size_t>(k_numbered[number - 1]);
    }
    return std::nullopt;
  }

  // The fields that are (parts of) quoted fields, by ClfField index.
  static constexpr std::array<bool, k_clf_fields> k_quoted = {
      false, false, false, false, true, true, true, true, false, false, true, true};

  bool m_combined;
  ClfLine m_line{};
  std::array<std::string, k_clf_fields> m_unescaped;
  std::vector<std::size_t> m_fields; // ClfField index by id
};

// csv, tsv and fields: cells by number, or by header name.
class DelimitedParser final : public FormatParser {
public:
  DelimitedParser(LogFormat format, bool header)
      : m_format(format)
      , m_header(header)
  {}

  bool read_header(std::string_view line) override
  {
    if (!split(line)) {
      return false;
    }
    m_names.assign(m_cells.begin(), m_cells.end());
    m_header_read = true;
    return true;
  }

  std::optional<std::string> check(std::string_view name) const override
  {
    if (field_number(name) > 0 || (m_header && !m_header_read)
        || std::find(m_names.begin(), m_names.end(), name) != m_names.end()) {
      return std::nullopt;
    }
    if (!m_header) {
      return unknown_field(name, "1, 2, ...");
    }
    std::string available;
    for (const std::string& header_name : m_names) {
      available.append(header_name).append(", ");
    }
    available.append(m_names.empty() ? "none" : "1.." + std::to_string(m_names.size()));
    return unknown_field(name, available);
  }

  void bind(const std::vector<std::string>& names) override
  {
    m_columns.clear();
    for (const std::string& name : names) {
      // A header name wins over a number (a column named `2`); unknown names (before the header
      // is read) never match a cell.
      const auto found = std::find(m_names.begin(), m_names.end(), name);
      const std::size_t number = field_number(name);
      m_columns.push_back(found != m_names.end() ? static_cast<std::size_t>(found - m_names.begin())
                                                 : (number > 0 ? number - 1 : npos));
    }
  }

  bool parse(std::string_view line) override { return split(line); }

  std::string_view get(std::size_t id) override
  {
    const std::size_t column = m_columns[id];
    return column < m_cells.size() ? m_cells[column] : std::string_view();
  }

private:
  bool split(std::string_view line)
  {
    if (m_format == LogFormat::csv) {
      return split_csv(line, m_cells, m_scratch);
    }
    if (m_format == LogFormat::tsv) {
      split_tsv(line, m_cells);
    } else {
      split_blanks(line, m_cells);
    }
    return true;
  }

  LogFormat m_format;
  bool m_header;
  bool m_header_read = false;
  std::vector<std::string> m_names; // of the last header read
  std::vector<std::string_view> m_cells;
  std::string m_scratch;
  std::vector<std::size_t> m_columns; // cell index by id, npos for none
};

// jsonl: top-level members, dotted names walking nested objects, JSON pointers.
class JsonParser final : public FormatParser {
public:
  bool read_header(std::string_view /*line*/) override { return true; }

  std::optional<std::string> check(std::string_view name) const override
  {
    if (!name.starts_with('/')) {
      return std::nullopt;
    }
    try {
      const Json::json_pointer pointer{std::string(name)};
    } catch (const Json::exception&) {
      return "invalid JSON pointer " + std::string(name);
    }
    return std::nullopt;
  }

  void bind(const std::vector<std::string>& names) override
  {
    m_fields.clear();
    for (const std::string& name : names) {
      Field field;
      field.name = name;
      if (name.starts_with('/')) {
        field.pointer = Json::json_pointer(name);
      }
      for (std::size_t start = 0; start <= name.size();) {
        const std::size_t dot = std::min(name.find('.', start), name.size());
        field.parts.push_back(name.substr(start, dot - start));
        start = dot + 1;
      }
      m_fields.push_back(std::move(field));
    }
    m_text.assign(names.size(), std::string());
  }

  bool parse(std::string_view line) override
  {
    m_document = Json::parse(line.begin(), line.end(), nullptr, false);
    return m_document.is_object();
  }

  std::string_view get(std::size_t id) override
  {
    const Json* value = find(m_fields[id]);
    if (value == nullptr) {
      return {};
    }
    if (value->is_string()) {
      return value->get_ref<const std::string&>();
    }
    if (value->is_number() || value->is_boolean()) {
      m_text[id] = value->dump();
      return m_text[id];
    }
    return {};
  }

private:
  struct Field {
    std::string name;
    std::optional<Json::json_pointer> pointer;
    std::vector<std::string> parts; // of a dotted name
  };

  const Json* find(const Field& field) const
  {
    if (field.pointer) {
      try {
        return &m_document.at(*field.pointer);
      } catch (const Json::exception&) {
        return nullptr;
      }
    }
    const Json* value = &m_document;
    for (const std::string& part : field.parts) {
      const auto member = value->find(part); // end() for a value that is not an object
      if (member == value->end()) {
        // A top-level member whose name has dots is found too.
        const auto whole = m_document.find(field.name);
        return whole == m_document.end() ? nullptr : &*whole;
      }
      value = &*member;
    }
    return value;
  }

  Json m_document;
  std::vector<Field> m_fields;
  std::vector<std::string> m_text; // numbers and booleans as JSON text, by id
};

} // namespace

std::unique_ptr<FormatParser>
make_parser(LogFormat format, bool header)
{
  switch (format) {
  case LogFormat::combined:
  case LogFormat::common:
    return std::make_unique<ClfParser>(format == LogFormat::combined);
  case LogFormat::jsonl:
    return std::make_unique<JsonParser>();
  case LogFormat::csv:
  case LogFormat::tsv:
  case LogFormat::fields:
    break;
  }
  return std::make_unique<DelimitedParser>(format, header);
}

} // namespace cachewarm::predict::detail
