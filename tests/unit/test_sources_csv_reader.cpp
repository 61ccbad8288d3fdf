#include "../../src/sources/key_lists_detail.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using cachewarm::sources::detail::CsvRecord;
using cachewarm::sources::detail::k_max_line;
using cachewarm::sources::detail::LineReader;
using cachewarm::sources::detail::read_csv_record;

namespace {

using Cells = std::vector<std::string>;

// Every record of `text`, in order.
std::vector<CsvRecord>
records_of(std::string text)
{
  LineReader reader(std::make_unique<std::istringstream>(std::move(text)), "mem.csv");
  std::vector<CsvRecord> records;
  for (;;) {
    CsvRecord record;
    const auto more = read_csv_record(reader, record);
    REQUIRE(more.has_value());
    if (!*more) {
      return records;
    }
    records.push_back(std::move(record));
  }
}

} // namespace

TEST_SUITE("sources::csv_reader")
{
  TEST_CASE("cells are split on commas, blank lines skipped, a record knows its line")
  {
    const std::vector<CsvRecord> records = records_of("a,b\n\n\r\nc,,d\r\n");
    REQUIRE(records.size() == 2);
    CHECK(records[0].cells == Cells{"a", "b"});
    CHECK(records[0].line == 1);
    CHECK(records[1].cells == Cells{"c", "", "d"});
    CHECK(records[1].line == 4);
    CHECK(records[1].error.empty());
  }

  TEST_CASE("quoted cells keep commas, doubled quotes and line breaks as in the file")
  {
    const std::vector<CsvRecord> records =
        records_of("\"x,y\",\"say \"\"hi\"\"\"\r\n\"two\r\nlines\",z\n\"\",\"a\nb\"\n");
    REQUIRE(records.size() == 3);
    CHECK(records[0].cells == Cells{"x,y", "say \"hi\""});
    CHECK(records[1].cells == Cells{"two\r\nlines", "z"});
    CHECK(records[1].line == 2);
    CHECK(records[2].cells == Cells{"", "a\nb"});
    CHECK(records[2].line == 4);
  }

  TEST_CASE("a quote inside an unquoted cell is kept")
  {
    const std::vector<CsvRecord> records = records_of("a\"b,c\n");
    REQUIRE(records.size() == 1);
    CHECK(records[0].cells == Cells{"a\"b", "c"});
  }

  TEST_CASE("a character after a closing quote is an error naming its column")
  {
    const std::vector<CsvRecord> records = records_of("ok\n\"x\"y,3\nnext\n");
    REQUIRE(records.size() == 3);
    CHECK(records[1].line == 2);
    CHECK(records[1].error == "unexpected character after a closing quote (column 4)");
    CHECK(records[2].cells == Cells{"next"});
  }

  TEST_CASE("a quoted field still open at the end of the input is an error")
  {
    const std::vector<CsvRecord> records = records_of("a\n\"open,7\nmore\n");
    REQUIRE(records.size() == 2);
    CHECK(records[1].line == 2);
    CHECK(records[1].error == "unterminated quoted field");
  }

  TEST_CASE("a record over k_max_line bytes, even over several lines, is an error")
  {
    const std::string half(k_max_line / 2 + 1, 'x');
    const std::vector<CsvRecord> records = records_of("\"" + half + "\n" + half + "\"\nnext\n");
    REQUIRE(records.size() == 2);
    CHECK(records[0].error == "longer than 8388608 bytes");
    CHECK(records[1].cells == Cells{"next"});
  }
}
