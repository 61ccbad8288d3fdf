#include "key_lists_detail.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace cachewarm::sources::detail {

namespace {

std::string
join(const std::vector<std::string>& names)
{
  std::string out;
  for (const std::string& name : names) {
    out += out.empty() ? name : ", " + name;
  }
  return out;
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
    error = parse_jsonl_row(text, m_member, row);
    return Outcome::row;
  }

  LineReader m_reader;
  KeyListFormat m_format;
  std::vector<std::string> m_fields;
  KeyMaker m_key;
  std::string m_member;
  CsvRecord m_record;
  bool m_done = false;
};

} // namespace

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

} // namespace cachewarm::sources::detail
