#include "support/key_lists.hpp"
#include "support/results.hpp"
#include "support/sources.hpp"
#include "support/temp_files.hpp"

#include "cachewarm/core/types.hpp"
#include "cachewarm/sources/key_lists.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <vector>

using cachewarm::core::Errc;
using cachewarm::core::Failure;
using cachewarm::core::Row;
using cachewarm::sources::KeyListFormat;
using cachewarm::sources::open_key_file;
using namespace cachewarm::test;

TEST_SUITE("sources::streamed_keys")
{
  TEST_CASE("lines: every line is a key as is, with spaces, UTF-8 and tabs")
  {
    const TempFile file("user:1\n  padded key  \nключ:ü\ttab\n");
    auto source = open_ok(file.path(), key_options(KeyListFormat::lines));
    CHECK(source->fields() == Strings{"line"});
    const Drained out = drain(*source);
    CHECK(keys_of(out.rows) == Strings{"user:1", "  padded key  ", "ключ:ü\ttab"});
    CHECK(out.rows[1].fields == Fields{"  padded key  "});
    CHECK(out.failures.empty());
  }

  TEST_CASE("lines: blank lines and lines starting with '#' are skipped")
  {
    const TempFile file("# header\na\n\n  # not a comment\n#b\nc");
    const Drained out = drain(*open_ok(file.path(), key_options(KeyListFormat::lines)));
    CHECK(keys_of(out.rows) == Strings{"a", "  # not a comment", "c"});
    CHECK(out.failures.empty());
  }

  TEST_CASE("lines: CRLF line endings lose their '\\r', a last line without newline counts")
  {
    const TempFile file("a\r\nb c\r\n\r\nd");
    const Drained out = drain(*open_ok(file.path(), key_options(KeyListFormat::lines)));
    CHECK(keys_of(out.rows) == Strings{"a", "b c", "d"});
  }

  TEST_CASE("lines: a UTF-8 byte order mark is dropped")
  {
    const TempFile file("\xEF\xBB\xBF"
                        "first\nsecond\n");
    const Drained out = drain(*open_ok(file.path(), key_options(KeyListFormat::lines)));
    CHECK(keys_of(out.rows) == Strings{"first", "second"});
  }

  TEST_CASE("lines: an empty file gives no rows")
  {
    const TempFile file("");
    const Drained out = drain(*open_ok(file.path(), key_options(KeyListFormat::lines)));
    CHECK(out.rows.empty());
    CHECK(out.failures.empty());
    CHECK(out.calls == 1);
  }

  TEST_CASE("lines: a line over 8 MiB is a bad row and the next lines still count")
  {
    std::string content = "a\n" + std::string(8 * 1024 * 1024 + 1, 'x') + "\nb\n";
    const TempFile file(content);
    const Drained out = drain(*open_ok(file.path(), key_options(KeyListFormat::lines)));
    CHECK(keys_of(out.rows) == Strings{"a", "b"});
    CHECK(messages_of(out.failures) == Strings{"line 2: longer than 8388608 bytes"});
  }

  TEST_CASE("lines: streamed formats have no size hint")
  {
    const TempFile lines("a\n");
    const TempFile jsonl("{\"k\": 1}\n");
    const TempFile csv("k\n1\n");
    CHECK(!open_ok(lines.path(), key_options(KeyListFormat::lines))->size_hint());
    CHECK(!open_ok(jsonl.path(), key_options(KeyListFormat::jsonl, "k"))->size_hint());
    CHECK(!open_ok(csv.path(), key_options(KeyListFormat::csv, "k"))->size_hint());
  }

  TEST_CASE("lines: the fixture file")
  {
    const Drained out = drain(*open_ok(key_fixture("keys.txt"), key_options(KeyListFormat::lines)));
    CHECK(keys_of(out.rows)
          == Strings{"user:1", "user 2 with spaces", "ключ:3", "tab\tkey", "user:5"});
  }

  TEST_CASE("jsonl: the field's member is the key, numbers and booleans as their JSON text")
  {
    const TempFile file("{\"id\": \"a b\", \"x\": 1}\n{\"id\": 42}\n{\"id\": true}\n"
                        "{\"id\": -1.5}\n{\"id\": \"ü\\u00e9\"}\n");
    auto source = open_ok(file.path(), key_options(KeyListFormat::jsonl, "id"));
    CHECK(source->fields() == Strings{"id"});
    const Drained out = drain(*source);
    CHECK(keys_of(out.rows) == Strings{"a b", "42", "true", "-1.5", "üé"});
    CHECK(out.rows[0].fields == Fields{"a b"});
    CHECK(out.failures.empty());
  }

  TEST_CASE("jsonl: blank lines are skipped and CRLF endings accepted")
  {
    const TempFile file("{\"id\": \"a\"}\r\n\r\n   \n{\"id\": \"b\"}\r\n");
    const Drained out = drain(*open_ok(file.path(), key_options(KeyListFormat::jsonl, "id")));
    CHECK(keys_of(out.rows) == Strings{"a", "b"});
    CHECK(out.failures.empty());
  }

  TEST_CASE("jsonl: bad lines are bad_key_row failures naming their line, the rest continue")
  {
    const TempFile file("{\"id\": \"ok1\"}\n"
                        "not json\n"
                        "{\"other\": 1}\n"
                        "{\"id\": null}\n"
                        "[1, 2]\n"
                        "{\"id\": {\"a\": 1}}\n"
                        "{\"id\": [1]}\n"
                        "{\"id\": \"\"}\n"
                        "{\"id\": \"ok2\"}\n");
    const Drained out = drain(*open_ok(file.path(), key_options(KeyListFormat::jsonl, "id")));
    CHECK(keys_of(out.rows) == Strings{"ok1", "ok2"});
    CHECK(messages_of(out.failures)
          == Strings{"line 2: not valid json at column 2",
                     "line 3: no member \"id\"",
                     "line 4: member \"id\" is null",
                     "line 5: expected a json object, got array",
                     "line 6: member \"id\" is an object",
                     "line 7: member \"id\" is an array",
                     "line 8: empty key"});
    REQUIRE(!out.failures.empty());
    CHECK(out.failures[0].key == "line 2");
  }

  TEST_CASE("jsonl: the fixture file")
  {
    const Drained out =
        drain(*open_ok(key_fixture("keys.jsonl"), key_options(KeyListFormat::jsonl, "id")));
    CHECK(keys_of(out.rows) == Strings{"a1", "2", "c3"});
  }

  TEST_CASE("csv: the header names every column a field, the field's column is the key")
  {
    const TempFile file("id,name,region\n1,alice,eu\n2,bob,us\n");
    auto source = open_ok(file.path(), key_options(KeyListFormat::csv, "name"));
    CHECK(source->fields() == Strings{"id", "name", "region"});
    const Drained out = drain(*source);
    CHECK(keys_of(out.rows) == Strings{"alice", "bob"});
    CHECK(out.rows[1].fields == Fields{"2", "bob", "us"});
  }

  TEST_CASE("csv: quoted cells hold commas, doubled quotes and line breaks")
  {
    const TempFile file("id,note\n"
                        "\"a,b\",\"say \"\"hi\"\"\"\n"
                        "\"multi\nline\",\"\"\n"
                        "\"crlf\r\ninside\",x\r\n"
                        "plain,\"\"\"\"\n");
    const Drained out = drain(*open_ok(file.path(), key_options(KeyListFormat::csv, "id")));
    CHECK(out.failures.empty());
    CHECK(keys_of(out.rows) == Strings{"a,b", "multi\nline", "crlf\r\ninside", "plain"});
    REQUIRE(out.rows.size() == 4);
    CHECK(out.rows[0].fields == Fields{"a,b", "say \"hi\""});
    CHECK(out.rows[1].fields == Fields{"multi\nline", ""});
    CHECK(out.rows[2].fields == Fields{"crlf\r\ninside", "x"});
    CHECK(out.rows[3].fields == Fields{"plain", "\""});
  }

  TEST_CASE("csv: CRLF line endings, blank lines skipped")
  {
    const TempFile file("k,v\r\na,1\r\n\r\nb,2\r\n");
    const Drained out = drain(*open_ok(file.path(), key_options(KeyListFormat::csv, "v")));
    CHECK(keys_of(out.rows) == Strings{"1", "2"});
    CHECK(out.rows[0].fields == Fields{"a", "1"});
  }

  TEST_CASE("csv: rows with the wrong column count or bad quoting are bad rows naming their line")
  {
    const TempFile file("k,v\n"
                        "a,1\n"
                        "short\n"
                        "b,2,extra\n"
                        "\"x\"y,3\n"
                        ",4\n"
                        "\"two\nlines\",5\n"
                        "c,6\n"
                        "\"open,7\n");
    const Drained out = drain(*open_ok(file.path(), key_options(KeyListFormat::csv, "k")));
    CHECK(keys_of(out.rows) == Strings{"a", "two\nlines", "c"});
    CHECK(messages_of(out.failures)
          == Strings{"line 3: expected 2 columns (the header's), got 1",
                     "line 4: expected 2 columns (the header's), got 3",
                     "line 5: unexpected character after a closing quote (column 4)",
                     "line 6: empty key",
                     "line 10: unterminated quoted field"});
  }

  TEST_CASE("csv: a field that is not a header column is a manifest error naming the columns")
  {
    const TempFile file("id,name\n1,a\n");
    CHECK(error_message(open_key_file(file.path(), key_options(KeyListFormat::csv, "email")),
                        Errc::manifest)
          == file.path()
                 + ": field \"email\" is not a column of the csv header (available: id, name)");
  }

  TEST_CASE("csv: an empty file has no header and is a source error")
  {
    const TempFile file("\n\n");
    CHECK(error_message(open_key_file(file.path(), key_options(KeyListFormat::csv, "id")),
                        Errc::source)
          == file.path() + ": empty csv file (no header line)");
  }

  TEST_CASE("csv: a key template over two columns")
  {
    const TempFile file("region,id,name\neu,1,a\nus,2,b\n");
    const Drained out =
        drain(*open_ok(file.path(), key_options(KeyListFormat::csv, "id", "user:{region}:{id}")));
    CHECK(keys_of(out.rows) == Strings{"user:eu:1", "user:us:2"});
    CHECK(out.rows[0].fields == Fields{"eu", "1", "a"});
  }

  TEST_CASE("csv: a key template naming an unknown column fails before any row")
  {
    const TempFile file("id,name\n1,a\n");
    CHECK(error_message(
              open_key_file(file.path(), key_options(KeyListFormat::csv, "id", "u:{email}")),
              Errc::manifest)
          == "key template \"u:{email}\": unknown variable {email} (available: id, name)");
  }

  TEST_CASE("csv: the fixture file")
  {
    const Drained out =
        drain(*open_ok(key_fixture("keys.csv"), key_options(KeyListFormat::csv, "name")));
    CHECK(keys_of(out.rows) == Strings{"Smith, Jane", "He said \"hi\"", "plain"});
  }

  TEST_CASE("batching: next() gives at most max items a call, failures included, then false")
  {
    const TempFile file("{\"k\": \"a\"}\nbad\n{\"k\": \"b\"}\n{\"k\": \"c\"}\n{\"k\": \"d\"}\n");
    auto source = open_ok(file.path(), key_options(KeyListFormat::jsonl, "k"));
    std::vector<Row> rows;
    std::vector<Failure> failures;

    auto more = source->next(2, rows, failures);
    REQUIRE(more);
    CHECK(*more);
    CHECK(keys_of(rows) == Strings{"a"});
    CHECK(failures.size() == 1);

    more = source->next(2, rows, failures);
    REQUIRE(more);
    CHECK(*more);
    CHECK(keys_of(rows) == Strings{"a", "b", "c"});

    more = source->next(2, rows, failures);
    REQUIRE(more);
    CHECK(!*more);
    CHECK(keys_of(rows) == Strings{"a", "b", "c", "d"});

    more = source->next(2, rows, failures);
    REQUIRE(more);
    CHECK(!*more);
    CHECK(rows.size() == 4);
    CHECK(failures.size() == 1);
  }

  TEST_CASE("streaming: a 200,000-line file is read in batches of 1000")
  {
    // 200k rather than 1M lines keeps the Debug + sanitizer build of the suite fast.
    constexpr std::size_t k_lines = 200'000;
    std::string content;
    content.reserve(k_lines * 12);
    for (std::size_t i = 0; i < k_lines; ++i) {
      content += "key:";
      content += std::to_string(i);
      content += '\n';
    }
    const TempFile file(content);
    content = std::string();

    auto source = open_ok(file.path(), key_options(KeyListFormat::lines));
    std::vector<Row> rows;
    std::vector<Failure> failures;
    std::size_t total = 0;
    std::size_t calls = 0;
    std::string last;
    for (bool more = true; more;) {
      rows.clear();
      auto result = source->next(1000, rows, failures);
      REQUIRE(result);
      more = *result;
      ++calls;
      REQUIRE(rows.size() <= 1000);
      if (!rows.empty()) {
        last = rows.back().key;
      }
      total += rows.size();
    }
    CHECK(total == k_lines);
    CHECK(failures.empty());
    CHECK(calls >= k_lines / 1000);
    CHECK(last == "key:199999");
  }

  TEST_CASE("streaming: lines appended after the first batch are still read (no whole-file read)")
  {
    // About 130 KB: twice the reader's 64 KiB chunk, so the tail is read after the append.
    std::string content;
    for (int i = 0; i < 20'000; ++i) {
      content += "k" + std::to_string(i) + "\n";
    }
    TempFile file(content);
    auto source = open_ok(file.path(), key_options(KeyListFormat::lines));
    std::vector<Row> rows;
    std::vector<Failure> failures;
    auto more = source->next(1000, rows, failures);
    REQUIRE(more);
    CHECK(*more);
    CHECK(rows.size() == 1000);

    file.append("tail:1\ntail:2\n");
    const Drained rest = drain(*source, 1000);
    CHECK(rows.size() + rest.rows.size() == 20'002);
    REQUIRE(!rest.rows.empty());
    CHECK(rest.rows.back().key == "tail:2");
  }
}
