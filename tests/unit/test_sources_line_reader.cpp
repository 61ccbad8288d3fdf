#include "../../src/sources/key_lists_detail.hpp"

#include "cachewarm/core/result.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

using cachewarm::core::Errc;
using cachewarm::sources::detail::k_chunk_size;
using cachewarm::sources::detail::k_max_line;
using cachewarm::sources::detail::Line;
using cachewarm::sources::detail::LineReader;
using cachewarm::sources::detail::too_long_reason;
using cachewarm::sources::detail::without_cr;

namespace {

// A Line copied out of the reader (its text is only valid until the next call).
struct Copied {
  std::string text;
  std::uint64_t number = 0;
  bool too_long = false;
};

LineReader
reader_of(std::string text)
{
  return LineReader(std::make_unique<std::istringstream>(std::move(text)), "mem");
}

// Every line of `text`, checking that the reader stays at its end afterwards.
std::vector<Copied>
lines_of(std::string text)
{
  LineReader reader = reader_of(std::move(text));
  std::vector<Copied> lines;
  for (;;) {
    const auto line = reader.next();
    REQUIRE(line.has_value());
    if (!*line) {
      break;
    }
    lines.push_back(Copied{std::string((*line)->text), (*line)->number, (*line)->too_long});
  }
  const auto after = reader.next();
  REQUIRE(after.has_value());
  CHECK_FALSE(after->has_value());
  return lines;
}

std::vector<std::string>
texts_of(const std::vector<Copied>& lines)
{
  std::vector<std::string> texts;
  for (const Copied& line : lines) {
    texts.push_back(line.text);
  }
  return texts;
}

// A stream buffer whose reads fail, as a disk error would.
class FailingBuffer final : public std::streambuf {
protected:
  int_type underflow() override { throw std::runtime_error("disk on fire"); }
};

} // namespace

TEST_SUITE("sources::line_reader")
{
  TEST_CASE("lines are numbered from 1, keep a '\\r' and a last line without '\\n' counts")
  {
    const std::vector<Copied> lines = lines_of("a\r\nb\n\nc");
    CHECK(texts_of(lines) == std::vector<std::string>{"a\r", "b", "", "c"});
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].number == 1);
    CHECK(lines[3].number == 4);
    CHECK_FALSE(lines[3].too_long);
  }

  TEST_CASE("an empty input has no line, a lone newline one empty line")
  {
    CHECK(lines_of("").empty());
    CHECK(texts_of(lines_of("\n")) == std::vector<std::string>{""});
  }

  TEST_CASE("a UTF-8 byte order mark is dropped only at the start of the input")
  {
    CHECK(texts_of(lines_of("\xEF\xBB\xBF"
                            "a\n\xEF\xBB\xBF"
                            "b"))
          == std::vector<std::string>{"a",
                                      "\xEF\xBB\xBF"
                                      "b"});
  }

  TEST_CASE("a line across chunk boundaries comes out whole")
  {
    const std::string long_line(2 * k_chunk_size + 10, 'x');
    CHECK(texts_of(lines_of("a\n" + long_line + "\nb"))
          == std::vector<std::string>{"a", long_line, "b"});
  }

  TEST_CASE("a line over k_max_line bytes is cut there and flagged, the next one is intact")
  {
    const std::vector<Copied> lines = lines_of(std::string(k_max_line + 5, 'x') + "\nok\n");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].text.size() == k_max_line);
    CHECK(lines[0].too_long);
    CHECK(lines[1].text == "ok");
    CHECK_FALSE(lines[1].too_long);
    CHECK(too_long_reason() == "longer than 8388608 bytes");
  }

  TEST_CASE("a read error is a source error naming the origin")
  {
    FailingBuffer buffer;
    LineReader reader(std::make_unique<std::istream>(&buffer), "keys.txt");
    CHECK(reader.origin() == "keys.txt");
    const auto line = reader.next();
    REQUIRE_FALSE(line.has_value());
    CHECK(line.error().code == Errc::source);
    CHECK(line.error().message == "keys.txt: read error");
  }

  TEST_CASE("without_cr drops one trailing '\\r' only")
  {
    CHECK(without_cr("a\r") == "a");
    CHECK(without_cr("a\r\r") == "a\r");
    CHECK(without_cr("\ra") == "\ra");
    CHECK(without_cr("") == "");
  }
}
