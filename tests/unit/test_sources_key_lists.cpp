#include "support/results.hpp"
#include "support/sources.hpp"
#include "support/temp_files.hpp"

#include "cachewarm/core/template.hpp"
#include "cachewarm/core/types.hpp"
#include "cachewarm/sources/key_lists.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using cachewarm::core::Errc;
using cachewarm::core::Failure;
using cachewarm::core::Row;
using cachewarm::sources::KeyListFormat;
using cachewarm::sources::KeyListOptions;
using cachewarm::sources::KeySource;
using cachewarm::sources::open_key_file;
using cachewarm::sources::parse_key_document;
using namespace cachewarm::test;

namespace {

std::string
fixture(std::string_view name)
{
  return std::string(CACHEWARM_SOURCE_DIR) + "/tests/fixtures/keys/" + std::string(name);
}

KeyListOptions
options(KeyListFormat format, std::string field = {}, std::string_view key = {})
{
  KeyListOptions result;
  result.format = format;
  result.field = std::move(field);
  if (!key.empty()) {
    result.key = parse_template(key);
  }
  return result;
}

std::unique_ptr<KeySource>
open_ok(const std::string& path, const KeyListOptions& opts)
{
  return require_ok(open_key_file(path, opts));
}

std::unique_ptr<KeySource>
parse_ok(std::string document, const KeyListOptions& opts)
{
  return require_ok(parse_key_document(std::move(document), "doc", opts));
}

Strings
messages_of(const std::vector<Failure>& failures)
{
  Strings messages;
  for (const Failure& failure : failures) {
    CHECK(failure.kind == "bad_key_row");
    // As the report's samples show it: the row's position, then the reason.
    messages.push_back(failure.key + ": " + failure.message);
  }
  return messages;
}

} // namespace

TEST_SUITE("sources::key_lists")
{
  // --- lines ------------------------------------------------------------------------------------

  TEST_CASE("lines: every line is a key as is, with spaces, UTF-8 and tabs")
  {
    const TempFile file("user:1\n  padded key  \nключ:ü\ttab\n");
    auto source = open_ok(file.path(), options(KeyListFormat::lines));
    CHECK(source->fields() == Strings{"line"});
    const Drained out = drain(*source);
    CHECK(keys_of(out.rows) == Strings{"user:1", "  padded key  ", "ключ:ü\ttab"});
    CHECK(out.rows[1].fields == Fields{"  padded key  "});
    CHECK(out.failures.empty());
  }

  TEST_CASE("lines: blank lines and lines starting with '#' are skipped")
  {
    const TempFile file("# header\na\n\n  # not a comment\n#b\nc");
    const Drained out = drain(*open_ok(file.path(), options(KeyListFormat::lines)));
    CHECK(keys_of(out.rows) == Strings{"a", "  # not a comment", "c"});
    CHECK(out.failures.empty());
  }

  TEST_CASE("lines: CRLF line endings lose their '\\r', a last line without newline counts")
  {
    const TempFile file("a\r\nb c\r\n\r\nd");
    const Drained out = drain(*open_ok(file.path(), options(KeyListFormat::lines)));
    CHECK(keys_of(out.rows) == Strings{"a", "b c", "d"});
  }

  TEST_CASE("lines: a UTF-8 byte order mark is dropped")
  {
    const TempFile file("\xEF\xBB\xBF"
                        "first\nsecond\n");
    const Drained out = drain(*open_ok(file.path(), options(KeyListFormat::lines)));
    CHECK(keys_of(out.rows) == Strings{"first", "second"});
  }

  TEST_CASE("lines: an empty file gives no rows")
  {
    const TempFile file("");
    const Drained out = drain(*open_ok(file.path(), options(KeyListFormat::lines)));
    CHECK(out.rows.empty());
    CHECK(out.failures.empty());
    CHECK(out.calls == 1);
  }

  TEST_CASE("lines: a line over 8 MiB is a bad row and the next lines still count")
  {
    std::string content = "a\n" + std::string(8 * 1024 * 1024 + 1, 'x') + "\nb\n";
    const TempFile file(content);
    const Drained out = drain(*open_ok(file.path(), options(KeyListFormat::lines)));
    CHECK(keys_of(out.rows) == Strings{"a", "b"});
    CHECK(messages_of(out.failures) == Strings{"line 2: longer than 8388608 bytes"});
  }

  TEST_CASE("lines: streamed formats have no size hint")
  {
    const TempFile lines("a\n");
    const TempFile jsonl("{\"k\": 1}\n");
    const TempFile csv("k\n1\n");
    CHECK(!open_ok(lines.path(), options(KeyListFormat::lines))->size_hint());
    CHECK(!open_ok(jsonl.path(), options(KeyListFormat::jsonl, "k"))->size_hint());
    CHECK(!open_ok(csv.path(), options(KeyListFormat::csv, "k"))->size_hint());
  }

  TEST_CASE("lines: the fixture file")
  {
    const Drained out = drain(*open_ok(fixture("keys.txt"), options(KeyListFormat::lines)));
    CHECK(keys_of(out.rows)
          == Strings{"user:1", "user 2 with spaces", "ключ:3", "tab\tkey", "user:5"});
  }

  // --- jsonl ------------------------------------------------------------------------------------

  TEST_CASE("jsonl: the field's member is the key, numbers and booleans as their JSON text")
  {
    const TempFile file("{\"id\": \"a b\", \"x\": 1}\n{\"id\": 42}\n{\"id\": true}\n"
                        "{\"id\": -1.5}\n{\"id\": \"ü\\u00e9\"}\n");
    auto source = open_ok(file.path(), options(KeyListFormat::jsonl, "id"));
    CHECK(source->fields() == Strings{"id"});
    const Drained out = drain(*source);
    CHECK(keys_of(out.rows) == Strings{"a b", "42", "true", "-1.5", "üé"});
    CHECK(out.rows[0].fields == Fields{"a b"});
    CHECK(out.failures.empty());
  }

  TEST_CASE("jsonl: blank lines are skipped and CRLF endings accepted")
  {
    const TempFile file("{\"id\": \"a\"}\r\n\r\n   \n{\"id\": \"b\"}\r\n");
    const Drained out = drain(*open_ok(file.path(), options(KeyListFormat::jsonl, "id")));
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
    const Drained out = drain(*open_ok(file.path(), options(KeyListFormat::jsonl, "id")));
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

  TEST_CASE("jsonl: without a field is a manifest error")
  {
    const TempFile file("{}\n");
    CHECK(error_message(open_key_file(file.path(), options(KeyListFormat::jsonl)), Errc::manifest)
          == "format jsonl needs a field (the member that holds each key)");
  }

  TEST_CASE("jsonl: the fixture file")
  {
    const Drained out = drain(*open_ok(fixture("keys.jsonl"), options(KeyListFormat::jsonl, "id")));
    CHECK(keys_of(out.rows) == Strings{"a1", "2", "c3"});
  }

  // --- csv --------------------------------------------------------------------------------------

  TEST_CASE("csv: the header names every column a field, the field's column is the key")
  {
    const TempFile file("id,name,region\n1,alice,eu\n2,bob,us\n");
    auto source = open_ok(file.path(), options(KeyListFormat::csv, "name"));
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
    const Drained out = drain(*open_ok(file.path(), options(KeyListFormat::csv, "id")));
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
    const Drained out = drain(*open_ok(file.path(), options(KeyListFormat::csv, "v")));
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
    const Drained out = drain(*open_ok(file.path(), options(KeyListFormat::csv, "k")));
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
    CHECK(error_message(open_key_file(file.path(), options(KeyListFormat::csv, "email")),
                        Errc::manifest)
          == file.path()
                 + ": field \"email\" is not a column of the csv header (available: id, name)");
  }

  TEST_CASE("csv: without a field is a manifest error")
  {
    const TempFile file("id\n1\n");
    CHECK(error_message(open_key_file(file.path(), options(KeyListFormat::csv)), Errc::manifest)
          == "format csv needs a field (the column that holds each key)");
  }

  TEST_CASE("csv: an empty file has no header and is a source error")
  {
    const TempFile file("\n\n");
    CHECK(error_message(open_key_file(file.path(), options(KeyListFormat::csv, "id")), Errc::source)
          == file.path() + ": empty csv file (no header line)");
  }

  TEST_CASE("csv: a key template over two columns")
  {
    const TempFile file("region,id,name\neu,1,a\nus,2,b\n");
    const Drained out =
        drain(*open_ok(file.path(), options(KeyListFormat::csv, "id", "user:{region}:{id}")));
    CHECK(keys_of(out.rows) == Strings{"user:eu:1", "user:us:2"});
    CHECK(out.rows[0].fields == Fields{"eu", "1", "a"});
  }

  TEST_CASE("csv: a key template naming an unknown column fails before any row")
  {
    const TempFile file("id,name\n1,a\n");
    CHECK(error_message(open_key_file(file.path(), options(KeyListFormat::csv, "id", "u:{email}")),
                        Errc::manifest)
          == "key template \"u:{email}\": unknown variable {email} (available: id, name)");
  }

  TEST_CASE("csv: the fixture file")
  {
    const Drained out = drain(*open_ok(fixture("keys.csv"), options(KeyListFormat::csv, "name")));
    CHECK(keys_of(out.rows) == Strings{"Smith, Jane", "He said \"hi\"", "plain"});
  }

  // --- json -------------------------------------------------------------------------------------

  TEST_CASE("json: an array of strings gives the field {value} and a size hint")
  {
    const TempFile file("[\"a\", \"b c\", \"ü\", 7]", ".json");
    auto source = open_ok(file.path(), options(KeyListFormat::json));
    CHECK(source->fields() == Strings{"value"});
    CHECK(source->size_hint() == std::optional<std::uint64_t>(4));
    const Drained out = drain(*source);
    CHECK(keys_of(out.rows) == Strings{"a", "b c", "ü", "7"});
    CHECK(out.rows[1].fields == Fields{"b c"});
  }

  TEST_CASE("json: an array of objects takes the field's member, bad elements are bad rows")
  {
    auto source =
        parse_ok("[{\"slug\": \"x\"}, {\"slug\": 2}, {\"other\": 1}, \"s\", {\"slug\": null}]",
                 options(KeyListFormat::json, "slug"));
    CHECK(source->fields() == Strings{"slug"});
    CHECK(source->size_hint() == std::optional<std::uint64_t>(5));
    const Drained out = drain(*source);
    CHECK(keys_of(out.rows) == Strings{"x", "2"});
    CHECK(messages_of(out.failures)
          == Strings{"element 3: no member \"slug\"",
                     "element 4: expected a json object, got string",
                     "element 5: member \"slug\" is null"});
  }

  TEST_CASE("json: null elements of a string array are bad rows")
  {
    const Drained out = drain(*parse_ok("[\"a\", null, [1]]", options(KeyListFormat::json)));
    CHECK(keys_of(out.rows) == Strings{"a"});
    CHECK(messages_of(out.failures)
          == Strings{"element 2: expected a string, got null",
                     "element 3: expected a string, got an array"});
  }

  TEST_CASE("json: objects without a field are a manifest error")
  {
    CHECK(error_message(
              parse_key_document("[\"a\", {\"id\": 1}]", "keys.json", options(KeyListFormat::json)),
              Errc::manifest)
          == "keys.json: element 2 is an object: set field to the member that holds each key");
  }

  TEST_CASE("json: a document that is not an array, or not json, is a source error")
  {
    CHECK(error_message(parse_key_document("{\"a\": 1}", "keys.json", options(KeyListFormat::json)),
                        Errc::source)
          == "keys.json: expected a json array, got object");

    auto broken = parse_key_document("[\"a\",", "keys.json", options(KeyListFormat::json));
    REQUIRE(!broken);
    CHECK(broken.error().code == Errc::source);
    CHECK(broken.error().message.starts_with("keys.json: not valid json: parse error at line 1"));
  }

  TEST_CASE("json: the fixture file")
  {
    const Drained out = drain(*open_ok(fixture("keys.json"), options(KeyListFormat::json)));
    CHECK(keys_of(out.rows) == Strings{"home", "about us", "produkt/ä"});
  }

  // --- sitemap ----------------------------------------------------------------------------------

  TEST_CASE("sitemap: every <loc> gives {url, path}, the url is the key, with a size hint")
  {
    auto source = parse_ok("<?xml version=\"1.0\"?>\n"
                           "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
                           "<url><loc>https://example.com/a/b?x=1#frag</loc></url>\n"
                           "<url><loc>https://example.com</loc></url>\n"
                           "<url><loc>http://h:8080?q</loc></url>\n"
                           "</urlset>\n",
                           options(KeyListFormat::sitemap));
    CHECK(source->fields() == Strings{"url", "path"});
    CHECK(source->size_hint() == std::optional<std::uint64_t>(3));
    const Drained out = drain(*source);
    CHECK(keys_of(out.rows)
          == Strings{"https://example.com/a/b?x=1#frag", "https://example.com", "http://h:8080?q"});
    REQUIRE(out.rows.size() == 3);
    CHECK(out.rows[0].fields == Fields{"https://example.com/a/b?x=1#frag", "/a/b?x=1"});
    CHECK(out.rows[1].fields == Fields{"https://example.com", "/"});
    CHECK(out.rows[2].fields == Fields{"http://h:8080?q", "/?q"});
  }

  TEST_CASE("sitemap: whitespace is trimmed, entities and character references decoded")
  {
    const Drained out = drain(
        *parse_ok("<urlset><url><loc>\n   https://e.com/s?a=1&amp;b=&lt;&gt;&quot;&apos;\n </loc>"
                  "</url><url><loc>https://e.com/caf&#233;/&#xE9;&#x1F600;</loc></url>"
                  "<url><loc><![CDATA[https://e.com/raw?a=1&b=2]]></loc></url></urlset>",
                  options(KeyListFormat::sitemap)));
    CHECK(out.failures.empty());
    CHECK(keys_of(out.rows)
          == Strings{"https://e.com/s?a=1&b=<>\"'",
                     "https://e.com/café/é\xF0\x9F\x98\x80",
                     "https://e.com/raw?a=1&b=2"});
  }

  TEST_CASE("sitemap: a sitemap index's <loc> entries are read the same way, without recursion")
  {
    const Drained out =
        drain(*open_ok(fixture("sitemap_index.xml"), options(KeyListFormat::sitemap)));
    CHECK(keys_of(out.rows)
          == Strings{"https://example.com/sitemap-pages.xml",
                     "https://example.com/sitemap-posts.xml?year=2024"});
    REQUIRE(out.rows.size() == 2);
    CHECK(out.rows[1].fields[1] == "/sitemap-posts.xml?year=2024");
  }

  TEST_CASE("sitemap: comments, <location> and <image:loc> are not <loc>")
  {
    const Drained out = drain(*parse_ok("<urlset><!-- <loc>https://e.com/commented</loc> -->\n"
                                        "<url><loc >https://e.com/a</loc >"
                                        "<image:image><image:loc>https://e.com/i.png</image:loc>"
                                        "</image:image><location>x</location></url></urlset>",
                                        options(KeyListFormat::sitemap)));
    CHECK(keys_of(out.rows) == Strings{"https://e.com/a"});
  }

  TEST_CASE("sitemap: an unterminated <loc> is a source error naming the origin and line")
  {
    CHECK(error_message(parse_key_document("<urlset>\n<url><loc>https://e.com/a</loc></url>\n"
                                           "<url><loc>https://e.com/b</url>\n</urlset>\n",
                                           "http://site/sitemap.xml",
                                           options(KeyListFormat::sitemap)),
                        Errc::source)
          == "http://site/sitemap.xml: line 3: unterminated <loc>");

    auto at_end =
        parse_key_document("<loc>https://e.com", "s.xml", options(KeyListFormat::sitemap));
    REQUIRE(!at_end);
    CHECK(at_end.error().message == "s.xml: line 1: unterminated <loc>");
  }

  TEST_CASE("sitemap: bad entities and empty <loc> are bad rows naming their line")
  {
    const Drained out = drain(*parse_ok("<urlset>\n"
                                        "<url><loc>https://e.com/&nbsp;</loc></url>\n"
                                        "<url><loc>https://e.com/&#0;</loc></url>\n"
                                        "<url><loc>https://e.com/a & b</loc></url>\n"
                                        "<url><loc>  </loc></url>\n"
                                        "<url><loc/></url>\n"
                                        "<url><loc>https://e.com/ok</loc></url>\n"
                                        "</urlset>",
                                        options(KeyListFormat::sitemap)));
    CHECK(keys_of(out.rows) == Strings{"https://e.com/ok"});
    CHECK(messages_of(out.failures)
          == Strings{"line 2: unknown entity &nbsp;",
                     "line 3: invalid character reference &#0;",
                     "line 4: '&' without ';'",
                     "line 5: empty key",
                     "line 6: empty <loc/>"});
  }

  TEST_CASE("sitemap: a key template over {path}")
  {
    const Drained out =
        drain(*open_ok(fixture("sitemap.xml"), options(KeyListFormat::sitemap, "", "page:{path}")));
    CHECK(keys_of(out.rows) == Strings{"page:/", "page:/search?q=a&page=2", "page:/café"});
    REQUIRE(out.rows.size() == 3);
    CHECK(out.rows[2].fields == Fields{"https://example.com/café#top", "/café"});
  }

  // --- key templates, batching, errors, documents in memory -------------------------------------

  TEST_CASE("key template: rendered over the fields of each row")
  {
    const TempFile file("1\n2\n");
    const Drained out =
        drain(*open_ok(file.path(), options(KeyListFormat::lines, "", "user:{line}:v1")));
    CHECK(keys_of(out.rows) == Strings{"user:1:v1", "user:2:v1"});
    CHECK(out.rows[0].fields == Fields{"1"});
  }

  TEST_CASE("key template: an unknown variable is a manifest error")
  {
    const TempFile file("1\n");
    CHECK(error_message(open_key_file(file.path(), options(KeyListFormat::lines, "", "user:{id}")),
                        Errc::manifest)
          == "key template \"user:{id}\": unknown variable {id} (available: line)");
  }

  TEST_CASE("batching: next() gives at most max items a call, failures included, then false")
  {
    const TempFile file("{\"k\": \"a\"}\nbad\n{\"k\": \"b\"}\n{\"k\": \"c\"}\n{\"k\": \"d\"}\n");
    auto source = open_ok(file.path(), options(KeyListFormat::jsonl, "k"));
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

  TEST_CASE("batching: documents parsed whole are handed out in batches too")
  {
    auto source = parse_ok("[\"a\", \"b\", \"c\"]", options(KeyListFormat::json));
    std::vector<Row> rows;
    std::vector<Failure> failures;
    auto more = source->next(2, rows, failures);
    REQUIRE(more);
    CHECK(*more);
    CHECK(rows.size() == 2);
    more = source->next(2, rows, failures);
    REQUIRE(more);
    CHECK(!*more);
    CHECK(keys_of(rows) == Strings{"a", "b", "c"});
  }

  TEST_CASE("errors: a missing file is a source error naming the path")
  {
    const TempPath missing(".txt");
    const std::string& path = missing.path();
    CHECK(error_message(open_key_file(path, options(KeyListFormat::lines)), Errc::source)
          == path + ": cannot open: no such file or directory");

    auto json = open_key_file(path, options(KeyListFormat::sitemap));
    REQUIRE(!json);
    CHECK(json.error().code == Errc::source);
  }

  TEST_CASE("errors: a directory is a source error")
  {
    const std::string path = std::filesystem::temp_directory_path().string();
    CHECK(error_message(open_key_file(path, options(KeyListFormat::lines)), Errc::source)
          == path + ": cannot open: is a directory");
  }

  TEST_CASE("documents: lines, jsonl and csv documents in memory are read like files")
  {
    CHECK(keys_of(drain(*parse_ok("a\n#c\nb\n", options(KeyListFormat::lines))).rows)
          == Strings{"a", "b"});
    CHECK(keys_of(drain(*parse_ok("{\"k\":\"x\"}\n", options(KeyListFormat::jsonl, "k"))).rows)
          == Strings{"x"});
    CHECK(keys_of(drain(*parse_ok("k,v\n\"q,1\",2\n", options(KeyListFormat::csv, "k"))).rows)
          == Strings{"q,1"});
  }

  // --- streaming --------------------------------------------------------------------------------

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

    auto source = open_ok(file.path(), options(KeyListFormat::lines));
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
    auto source = open_ok(file.path(), options(KeyListFormat::lines));
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
