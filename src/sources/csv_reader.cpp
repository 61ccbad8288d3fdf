#include "key_lists_detail.hpp"

#include <utility>

namespace cachewarm::sources::detail {

namespace {

enum class CsvState { field_start, unquoted, quoted, quote_in_quoted };

} // namespace

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

} // namespace cachewarm::sources::detail
