#include "../../src/predict/log_detail.hpp"
#include "support/temp_files.hpp"

#include "cachewarm/core/result.hpp"
#include "cachewarm/predict/access_log.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using cachewarm::core::Errc;
using cachewarm::core::Error;
using cachewarm::predict::KeyRule;
using cachewarm::predict::LogFormat;
using cachewarm::predict::LogReader;
using cachewarm::predict::LogSpec;
using cachewarm::predict::Request;
using cachewarm::predict::SkipCounts;
using cachewarm::predict::SkipReason;
using cachewarm::predict::TimeUnit;
using cachewarm::test::TempFile;
using cachewarm::test::TempPath;
namespace detail = cachewarm::predict::detail;

namespace {

std::string
fixture(std::string_view name)
{
  return std::string(CACHEWARM_SOURCE_DIR) + "/tests/fixtures/logs/" + std::string(name);
}

struct Read {
  std::vector<Request> requests;
  SkipCounts counts;
};

// Every request of `files` read with `spec`; any error fails the test case.
Read
read_all(LogSpec spec, std::vector<std::string> files)
{
  auto reader = LogReader::open(std::move(spec), std::move(files));
  if (!reader) {
    FAIL(reader.error().message);
  }
  Read read;
  Request request;
  for (;;) {
    const cachewarm::core::Result<bool> more = (*reader)->next(request);
    if (!more) {
      FAIL(more.error().message);
    }
    if (!*more) {
      break;
    }
    read.requests.push_back(request);
  }
  read.counts = (*reader)->counts();
  return read;
}

// The error of LogReader::open, which must fail.
Error
open_error(LogSpec spec, std::vector<std::string> files = {"/dev/null"})
{
  auto reader = LogReader::open(std::move(spec), std::move(files));
  REQUIRE_FALSE(reader.has_value());
  return reader.error();
}

// The first error of reading `files`, which must fail.
Error
read_error(LogSpec spec, std::vector<std::string> files)
{
  auto reader = LogReader::open(std::move(spec), std::move(files));
  if (!reader) {
    return reader.error();
  }
  Request request;
  for (;;) {
    const cachewarm::core::Result<bool> more = (*reader)->next(request);
    if (!more) {
      return more.error();
    }
    REQUIRE(*more);
  }
}

void
check_request(const Request& request,
              double time,
              std::string_view key,
              std::string_view client = {},
              std::string_view segment = {})
{
  CHECK(request.time == time);
  CHECK(request.key == key);
  CHECK(request.client == client);
  CHECK(request.segment == segment);
}

std::uint64_t
skipped(const SkipCounts& counts, SkipReason reason)
{
  return counts.skipped.at(static_cast<std::size_t>(reason));
}

LogSpec
spec_of(LogFormat format, std::string key, std::string time_field = {})
{
  LogSpec spec;
  spec.format = format;
  spec.key = std::move(key);
  spec.time_field = std::move(time_field);
  return spec;
}

// A combined line at 2024-01-01 00:00:0`second` UTC.
std::string
combined_line(std::string_view request, int status, int second = 0)
{
  return "192.0.2.9 - - [01/Jan/2024:00:00:0" + std::to_string(second) + " +0000] \""
         + std::string(request) + "\" " + std::to_string(status) + " 1 \"-\" \"ua\"\n";
}

constexpr double k_2024 = 1704067200; // 2024-01-01T00:00:00Z

} // namespace

TEST_SUITE("predict::access_log")
{
  TEST_CASE("format and time unit words, and their errors list the accepted words")
  {
    CHECK(cachewarm::predict::parse_log_format("combined") == LogFormat::combined);
    CHECK(cachewarm::predict::parse_log_format("fields") == LogFormat::fields);
    CHECK(cachewarm::predict::parse_time_unit("filetime") == TimeUnit::filetime);
    CHECK(cachewarm::predict::parse_time_unit("ms") == TimeUnit::ms);
    const auto format = cachewarm::predict::parse_log_format("nginx");
    REQUIRE_FALSE(format.has_value());
    CHECK(format.error().code == Errc::usage);
    CHECK(format.error().message
          == "unknown log format \"nginx\" (accepted: combined, common, jsonl, csv, tsv, fields)");
    const auto unit = cachewarm::predict::parse_time_unit("sec");
    REQUIRE_FALSE(unit.has_value());
    CHECK(unit.error().code == Errc::usage);
    CHECK(unit.error().message
          == "unknown time unit \"sec\" (accepted: clf, iso8601, s, ms, us, ns, filetime)");
    CHECK(cachewarm::predict::skip_reason_name(SkipReason::bad_time) == "bad_time");
    CHECK(cachewarm::predict::skip_reason_name(SkipReason::no_rule) == "no_rule");
  }

  TEST_CASE("clf times with offsets, iso8601 with fractions and zones")
  {
    CHECK(detail::parse_time("17/May/2015:10:05:03 +0000", TimeUnit::clf) == 1431857103.0);
    CHECK(detail::parse_time("17/May/2015:12:05:03 +0200", TimeUnit::clf) == 1431857103.0);
    CHECK(detail::parse_time("17/May/2015:04:35:03 -0530", TimeUnit::clf) == 1431857103.0);
    CHECK(detail::parse_time("17/May/2015:10:05:03", TimeUnit::clf) == 1431857103.0);
    CHECK(detail::parse_time("2015-05-17T10:05:03Z", TimeUnit::iso8601) == 1431857103.0);
    CHECK(detail::parse_time("2015-05-17T10:05:03.25+02:00", TimeUnit::iso8601) == 1431849903.25);
    CHECK(detail::parse_time("2015-05-17T10:05:03-0100", TimeUnit::iso8601) == 1431860703.0);
    CHECK(detail::parse_time("2015-05-17 10:05:03", TimeUnit::iso8601) == 1431857103.0);
    for (const char* bad : {"",
                            "31/Feb/2015:10:05:03 +0000",
                            "17/Mai/2015:10:05:03 +0000",
                            "17/May/2015:24:05:03 +0000",
                            "17/May/2015:10:05:03 +000",
                            "17/May/2015:10:05:03 +0000 ",
                            "17/May/2015"}) {
      CAPTURE(bad);
      CHECK_FALSE(detail::parse_time(bad, TimeUnit::clf).has_value());
    }
    for (const char* bad : {"2015-05-17",
                            "2015-02-30T10:05:03Z",
                            "2015-05-17T10:05:03Zulu",
                            "2015-05-17T10:05:03.Z",
                            "2015-05-17X10:05:03"}) {
      CAPTURE(bad);
      CHECK_FALSE(detail::parse_time(bad, TimeUnit::iso8601).has_value());
    }
  }

  TEST_CASE("decimal epochs in s, ms, us and ns, and FILETIME ticks")
  {
    CHECK(detail::parse_time("1189828805.208862", TimeUnit::s) == 1189828805.208862);
    CHECK(detail::parse_time("1431857103250", TimeUnit::ms) == 1431857103.25);
    CHECK(detail::parse_time("1431857103250000", TimeUnit::us) == 1431857103.25);
    CHECK(detail::parse_time("1431857103.5e3", TimeUnit::ms) == 1431857103.5);
    const std::optional<double> ns = detail::parse_time("1431857103250000000", TimeUnit::ns);
    REQUIRE(ns.has_value());
    CHECK(*ns == doctest::Approx(1431857103.25).epsilon(1e-15));
    CHECK(detail::parse_time("130000000000000000", TimeUnit::filetime) == 1355526400.0);
    CHECK(detail::parse_time("130000000002500000", TimeUnit::filetime) == 1355526400.25);
    CHECK(detail::parse_time("116444736000000000", TimeUnit::filetime) == 0.0);
    for (const char* bad : {"", "12a", "1e", "inf", "nan", " 12", "0x10"}) {
      CAPTURE(bad);
      CHECK_FALSE(detail::parse_time(bad, TimeUnit::s).has_value());
      CHECK_FALSE(detail::parse_time(bad, TimeUnit::filetime).has_value());
    }
    CHECK_FALSE(detail::parse_time("1.5", TimeUnit::filetime).has_value());
  }

  TEST_CASE("named groups become plain groups with their capture numbers")
  {
    const auto pattern =
        detail::translate_named_groups(R"(^\(/[(](?:x)(?<id>\d+)(/(?<lang>[a-z)]+))?)");
    REQUIRE(pattern.has_value());
    CHECK(pattern->pattern == R"(^\(/[(](?:x)(\d+)(/([a-z)]+))?)");
    CHECK(pattern->names == std::vector<std::string>{"id", "lang"});
    CHECK(pattern->groups == std::vector<std::size_t>{1, 3});
    const auto escaped = detail::translate_named_groups(R"(\\(?<a>x)\\\(?<b>)");
    REQUIRE(escaped.has_value());
    CHECK(escaped->pattern == R"(\\(x)\\\(?<b>)");
    CHECK(escaped->groups == std::vector<std::size_t>{1});

    const auto twice = detail::translate_named_groups("(?<a>x)(?<a>y)");
    REQUIRE_FALSE(twice.has_value());
    CHECK(twice.error().code == Errc::usage);
    CHECK(twice.error().message == "group name \"a\" used twice");
    const auto invalid = detail::translate_named_groups("ab(?<1x>y)");
    REQUIRE_FALSE(invalid.has_value());
    CHECK(invalid.error().message == "invalid group name at column 3");
  }

  TEST_CASE("combined lines split into named fields, escapes kept until asked for")
  {
    detail::ClfLine line;
    REQUIRE(detail::parse_clf(
        R"(h1 id John Doe [17/May/2015:10:05:03 +0000] "GET /q?a=\"b\" HTTP/1.1" 200 5 )"
        R"("r\\" "a \"b\"" x)",
        true,
        line));
    const auto field = [&line](detail::ClfField name) {
      return line.at(static_cast<std::size_t>(name));
    };
    CHECK(field(detail::ClfField::host) == "h1");
    CHECK(field(detail::ClfField::ident) == "id");
    CHECK(field(detail::ClfField::user) == "John Doe");
    CHECK(field(detail::ClfField::time) == "17/May/2015:10:05:03 +0000");
    CHECK(field(detail::ClfField::request) == R"(GET /q?a=\"b\" HTTP/1.1)");
    CHECK(field(detail::ClfField::method) == "GET");
    CHECK(field(detail::ClfField::path) == R"(/q?a=\"b\")");
    CHECK(field(detail::ClfField::protocol) == "HTTP/1.1");
    CHECK(field(detail::ClfField::status) == "200");
    CHECK(field(detail::ClfField::bytes) == "5");
    CHECK(field(detail::ClfField::referer) == R"(r\\)");
    CHECK(field(detail::ClfField::agent) == R"(a \"b\")");
    std::string buffer;
    CHECK(detail::clf_unescape(field(detail::ClfField::agent), buffer) == R"(a "b")");
    CHECK(detail::clf_unescape(field(detail::ClfField::referer), buffer) == R"(r\)");
    CHECK(detail::clf_unescape(R"(\x22)", buffer) == R"(\x22)");

    REQUIRE(detail::parse_clf(R"(h - - [t] "\x16\x03" 400 0)", false, line));
    CHECK(field(detail::ClfField::request) == R"(\x16\x03)");
    CHECK(field(detail::ClfField::method).empty());
    CHECK(field(detail::ClfField::path).empty());
    CHECK(field(detail::ClfField::bytes) == "0");
    for (const char* bad : {R"(h - - [t] "GET / HTTP/1.0" 200 0)",
                            R"(h - [t] "-" 200 0 "-" "-")",
                            R"(h - - [t "-" 200 0 "-" "-")",
                            R"(h - - [t] "-" 200 0 "-" "-)",
                            R"(h - - [t] "-" 200 0 "-" "-"x)",
                            R"( - - [t] "-" 200 0 "-" "-")",
                            R"(h - - [t] "-"  200 0 "-" "-")"}) {
      CAPTURE(bad);
      CHECK_FALSE(detail::parse_clf(bad, true, line));
    }
  }

  TEST_CASE("csv records, tsv and blank-separated lines split into cells")
  {
    std::vector<std::string_view> cells;
    std::string scratch;
    REQUIRE(detail::split_csv(R"(a,"b,c","say ""hi""",,"")", cells, scratch));
    CHECK(cells == std::vector<std::string_view>{"a", "b,c", R"(say "hi")", "", ""});
    CHECK_FALSE(detail::split_csv(R"(a,"b"c)", cells, scratch));
    CHECK_FALSE(detail::split_csv(R"(a,"b)", cells, scratch));
    detail::split_tsv("a\t\tb\t", cells);
    CHECK(cells == std::vector<std::string_view>{"a", "", "b", ""});
    detail::split_blanks(" \ta  b\t\tc \t", cells);
    CHECK(cells == std::vector<std::string_view>{"a", "b", "c"});
  }

  TEST_CASE("a public combined log: path keys, host clients, clf times")
  {
    const Read read =
        read_all(spec_of(LogFormat::combined, "{path}"), {fixture("elastic_apache_head5.log")});
    REQUIRE(read.requests.size() == 5);
    const std::string base = "/presentations/logstash-monitorama-2013/";
    check_request(read.requests[0], 1431857103, base + "images/kibana-search.png", "83.149.9.216");
    check_request(
        read.requests[1], 1431857143, base + "images/kibana-dashboard3.png", "83.149.9.216");
    check_request(read.requests[4], 1431857107, base + "plugin/notes/notes.js", "83.149.9.216");
    CHECK(read.counts.lines == 5);
    CHECK(read.counts.requests == 5);
    CHECK(read.counts.examples.empty());
  }

  TEST_CASE("numbered and named combined fields, client and segment templates")
  {
    LogSpec spec = spec_of(LogFormat::combined, "{6}:{method}:{5}");
    spec.client = "{3}@{1}";
    spec.segment = "{agent}|{referer}";
    const Read read = read_all(spec, {fixture("edge_combined.log")});
    REQUIRE(read.requests.size() == 3);
    check_request(
        read.requests[0], k_2024, "200:GET:GET /a?x=1 HTTP/1.1", "alice@192.0.2.1", "curl/8.0|-");
    // `\"` and `\\` inside quoted fields are unescaped; a +0100 offset is applied.
    check_request(read.requests[1],
                  k_2024,
                  R"(200:GET:GET /say?q="hi" HTTP/1.1)",
                  "-@192.0.2.2",
                  R"(agent "quoted" \ end|-)");
    check_request(read.requests[2],
                  k_2024 + 2 * 3600 + 30 * 60 + 4,
                  "503:POST:POST /c HTTP/2.0",
                  "-@192.0.2.5",
                  "curl/8.0|http://ref/");
  }

  TEST_CASE("lines of every skip reason are counted, and quoted in examples but filtered ones")
  {
    const std::string path = fixture("edge_combined.log");
    LogSpec spec = spec_of(LogFormat::combined, "{path}");
    spec.methods = {"GET", "HEAD"};
    const Read read = read_all(spec, {path});
    REQUIRE(read.requests.size() == 2);
    check_request(read.requests[0], k_2024, "/a?x=1", "192.0.2.1");
    check_request(read.requests[1], k_2024, R"(/say?q="hi")", "192.0.2.2");
    CHECK(read.counts.lines == 6);
    CHECK(read.counts.requests == 2);
    // The "-" request has no method either: the method filter drops it before its key.
    CHECK(skipped(read.counts, SkipReason::filtered) == 2);
    CHECK(skipped(read.counts, SkipReason::unparsed) == 1);
    CHECK(skipped(read.counts, SkipReason::bad_time) == 1);
    CHECK(skipped(read.counts, SkipReason::no_key) == 0);
    CHECK(
        read.counts.examples
        == std::vector<std::string>{
            path + ":4: unparsed: \"this is not a log line\"",
            path
                + R"(:5: bad_time: "192.0.2.4 - - [99/Foo/2024:00:00:03 +0000] "GET /b HTTP/1.1" )"
                  R"(404 0 "-" "curl/8.0"")"});

    const Read unfiltered = read_all(spec_of(LogFormat::combined, "{path}"), {path});
    CHECK(unfiltered.counts.requests == 3);
    CHECK(skipped(unfiltered.counts, SkipReason::no_key) == 1);
    CHECK(unfiltered.counts.examples.at(0)
          == path
                 + R"(:3: no_key: "192.0.2.3 - - [01/Jan/2024:00:00:02 +0000] "-" 408 0 "-" "-"")");
  }

  TEST_CASE("examples: five at most, text cut at 120 bytes on a character, control bytes escaped")
  {
    const std::string long_line = std::string(119, 'a') + "\xC3\xA9" + std::string(50, 'b');
    const TempFile file("bad\tline\x01\x7f\r\n" + long_line + "\n\n   \n"
                        + std::string(1048577, 'x') + "\nx\ny\nz\n"
                        + combined_line("GET /ok HTTP/1.1", 200, 1));
    const Read read = read_all(spec_of(LogFormat::combined, "{path}"), {file.path()});
    REQUIRE(read.requests.size() == 1);
    check_request(read.requests[0], k_2024 + 1, "/ok", "192.0.2.9");
    CHECK(read.counts.lines == 7);
    CHECK(skipped(read.counts, SkipReason::unparsed) == 6);
    CHECK(
        read.counts.examples
        == std::vector<std::string>{file.path() + R"(:1: unparsed: "bad\tline\x01\x7f")",
                                    file.path() + ":2: unparsed: \"" + std::string(119, 'a') + "\"",
                                    file.path() + ":5: unparsed: \"" + std::string(120, 'x') + "\"",
                                    file.path() + ":6: unparsed: \"x\"",
                                    file.path() + ":7: unparsed: \"y\""});
  }

  TEST_CASE("common lines, and a line whose request is not METHOD TARGET PROTO")
  {
    const TempFile file(R"(h1 - - [01/Jan/2024:00:00:00 +0000] "GET /x HTTP/1.0" 200 -
h2 - - [01/Jan/2024:00:00:01 +0000] "garbage" 400 0
)");
    LogSpec spec = spec_of(LogFormat::common, "{7}{path}");
    spec.segment = "{request}";
    const Read read = read_all(spec, {file.path()});
    REQUIRE(read.requests.size() == 1);
    check_request(read.requests[0], k_2024, "-/x", "h1", "GET /x HTTP/1.0");
    CHECK(skipped(read.counts, SkipReason::no_key) == 1);
  }

  TEST_CASE("csv with a header: names and numbers, quoting, short rows")
  {
    const TempFile file(R"(time,path,"the ""user"""
1431857103,/a,"x, y"

1431857104,"/b,c","say ""hi"""
1431857105
,/x
"unclosed,/y
)",
                        ".csv");
    LogSpec spec = spec_of(LogFormat::csv, "{path}|{3}", "time");
    spec.header = true;
    spec.client = "{the \"user\"}";
    CHECK(open_error(spec).message
          == "--client {the \"user\"}: invalid variable name \"the \"user\"\" at column 1");
    spec.client = "{3}";
    const Read read = read_all(spec, {file.path()});
    REQUIRE(read.requests.size() == 2);
    check_request(read.requests[0], 1431857103, "/a|x, y", "x, y");
    check_request(read.requests[1], 1431857104, R"(/b,c|say "hi")", R"(say "hi")");
    CHECK(read.counts.lines == 5);
    CHECK(skipped(read.counts, SkipReason::no_key) == 1);
    CHECK(skipped(read.counts, SkipReason::bad_time) == 1);
    CHECK(skipped(read.counts, SkipReason::unparsed) == 1);
    CHECK(read.counts.examples
          == std::vector<std::string>{file.path() + ":5: no_key: \"1431857105\"",
                                      file.path() + ":6: bad_time: \",/x\"",
                                      file.path() + ":7: unparsed: \"\"unclosed,/y\""});
  }

  TEST_CASE("csv without a header: numbered fields only; each file's header names its columns")
  {
    const TempFile plain("1431857103,/a\n1431857104,/b\n", ".csv");
    const Read read = read_all(spec_of(LogFormat::csv, "{2}", "1"), {plain.path()});
    REQUIRE(read.requests.size() == 2);
    check_request(read.requests[1], 1431857104, "/b");
    const Error unknown = open_error(spec_of(LogFormat::csv, "{path}", "1"));
    CHECK(unknown.code == Errc::usage);
    CHECK(unknown.message == "--key {path}: unknown field path (available: 1, 2, ...)");

    const TempFile first("t,path\n10,/a\n", ".csv");
    const TempFile second("path,t\n/b,20\n", ".csv");
    const TempFile third("t,url\n30,/c\n", ".csv");
    LogSpec spec = spec_of(LogFormat::csv, "{path}", "t");
    spec.header = true;
    auto reader = LogReader::open(spec, {first.path(), second.path(), third.path()});
    REQUIRE(reader.has_value());
    Request request;
    REQUIRE((*reader)->next(request) == true);
    check_request(request, 10, "/a");
    REQUIRE((*reader)->next(request) == true);
    check_request(request, 20, "/b");
    const auto missing = (*reader)->next(request);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == Errc::usage);
    CHECK(missing.error().message
          == third.path() + ": --key {path}: unknown field path (available: t, url, 1..2)");
    CHECK((*reader)->next(request) == false);
  }

  TEST_CASE("a public tsv trace with a header; a filter needs a field of its name")
  {
    LogSpec spec = spec_of(LogFormat::tsv, "{url}", "time");
    spec.header = true;
    spec.client = "{1}";
    const Read read = read_all(spec, {fixture("nasa_19950701_head5.tsv")});
    REQUIRE(read.requests.size() == 4);
    check_request(read.requests[0], 804571201, "/history/apollo/", "199.72.81.55");
    check_request(
        read.requests[3], 804571211, "/shuttle/countdown/liftoff.html", "burger.letters.com");
    CHECK(read.counts.lines == 4);
    CHECK(read.counts.examples.empty());

    spec.status_classes = {2};
    const Error error = read_error(spec, {fixture("nasa_19950701_head5.tsv")});
    CHECK(error.code == Errc::usage);
    CHECK(error.message
          == fixture("nasa_19950701_head5.tsv")
                 + ": status filter: unknown field status (available: host, logname, time, "
                   "method, url, response, bytes, 1..7)");
  }

  TEST_CASE("blank-separated fields: fractional seconds and FILETIME ticks")
  {
    const TempFile trace("  1189828805.208862 63.22.65.73 140.8.48.66 GETVIDEO lML9dik8QNw x \n"
                         "1189828807.71085\t63.22.65.73  140.8.52.41 GETVIDEO\n");
    LogSpec spec = spec_of(LogFormat::fields, "{5}", "1");
    spec.client = "{3}";
    const Read read = read_all(spec, {trace.path()});
    REQUIRE(read.requests.size() == 1);
    check_request(read.requests[0], 1189828805.208862, "lML9dik8QNw", "140.8.48.66");
    CHECK(skipped(read.counts, SkipReason::no_key) == 1);

    const TempFile ticks("130000000000000000 0 Read 4096\n130000000002500000 0 Write 512\n");
    spec = spec_of(LogFormat::fields, "{3}:{4}", "1");
    spec.time_unit = TimeUnit::filetime;
    const Read filetime = read_all(spec, {ticks.path()});
    REQUIRE(filetime.requests.size() == 2);
    check_request(filetime.requests[0], 1355526400, "Read:4096");
    check_request(filetime.requests[1], 1355526400.25, "Write:512");
  }

  TEST_CASE("jsonl: dotted names, JSON text of numbers, iso8601 times, lines that are not objects")
  {
    const TempFile file(
        R"({"ts":"2015-05-17T10:05:03Z","req":{"path":"/a"},"user":{"id":42},"ok":true}
{"ts":"2015-05-17T10:05:03.25+02:00","req":{"path":"/b"},"user":{"id":"u7"},"ok":false}
[1,2]
not json
{"ts":"yesterday","req":{"path":"/c"}}
{"ts":"2015-05-17 10:05:03","req":{"path":null},"a.b":"x"}
)");
    LogSpec spec = spec_of(LogFormat::jsonl, "{req.path}{ok}", "ts");
    spec.time_unit = TimeUnit::iso8601;
    spec.client = "{user.id}";
    const Read read = read_all(spec, {file.path()});
    REQUIRE(read.requests.size() == 2);
    check_request(read.requests[0], 1431857103, "/atrue", "42");
    check_request(read.requests[1], 1431849903.25, "/bfalse", "u7");
    CHECK(skipped(read.counts, SkipReason::unparsed) == 2);
    CHECK(skipped(read.counts, SkipReason::bad_time) == 1);
    CHECK(skipped(read.counts, SkipReason::no_key) == 1);
    CHECK(read.counts.examples.at(0) == file.path() + ":3: unparsed: \"[1,2]\"");

    spec.key = "{a.b}";
    spec.client.clear();
    const Read dotted = read_all(spec, {file.path()});
    REQUIRE(dotted.requests.size() == 1);
    check_request(dotted.requests[0], 1431857103, "x");
  }

  TEST_CASE("jsonl: the time field may be a JSON pointer")
  {
    const TempFile file(R"({"meta":{"t":[1431857103.5]},"k":7}
{"meta":{"t":[]},"k":8}
)");
    LogSpec spec = spec_of(LogFormat::jsonl, "key:{k}", "/meta/t/0");
    const Read read = read_all(spec, {file.path()});
    REQUIRE(read.requests.size() == 1);
    check_request(read.requests[0], 1431857103.5, "key:7");
    CHECK(skipped(read.counts, SkipReason::bad_time) == 1);
    spec.time_field = "/meta/~2";
    CHECK(open_error(spec).message.starts_with("--time-field /meta/~2: invalid JSON pointer"));
  }

  TEST_CASE("filters on status class, method and path apply before keys")
  {
    const TempFile file(
        combined_line("GET /api/1 HTTP/1.1", 200) + combined_line("GET /api/2 HTTP/1.1", 404)
        + combined_line("POST /api/3 HTTP/1.1", 201) + combined_line("get /api/4 HTTP/1.1", 204)
        + combined_line("GET /web/5 HTTP/1.1", 301) + combined_line("-", 200));
    LogSpec spec = spec_of(LogFormat::combined, "{path}");
    spec.status_classes = {2, 3};
    spec.methods = {"GET", "POST"};
    spec.path_regex = "^/api/";
    const Read read = read_all(spec, {file.path()});
    REQUIRE(read.requests.size() == 2);
    CHECK(read.requests[0].key == "/api/1");
    CHECK(read.requests[1].key == "/api/3");
    CHECK(skipped(read.counts, SkipReason::filtered) == 4);
    CHECK(read.counts.examples.empty());
  }

  TEST_CASE("rules: named groups, first match wins, groups shadow fields, no_rule and no_key")
  {
    const TempFile file(combined_line("GET /product/12 HTTP/1.1", 200)
                        + combined_line("GET /product/12/reviews HTTP/1.1", 200)
                        + combined_line("GET /category/shoes HTTP/1.1", 200)
                        + combined_line("POST /other HTTP/1.1", 200)
                        + combined_line("GET /other HTTP/1.1", 200) + combined_line("-", 200));
    LogSpec spec = spec_of(LogFormat::combined, "{unused}");
    spec.rules = {KeyRule{R"(^/product/(?<id>\d+)$)", "product:{id}", ""},
                  KeyRule{R"(^/product/(?<id>\d+)/(?<tab>[a-z]+))", "product:{id}:{tab}", ""},
                  KeyRule{"^/product/", "never", ""},
                  KeyRule{"^/category/(?<host>[a-z]+)", "category:{host}:{method}", "{path}"},
                  KeyRule{"^POST (?<what>.*)", "post:{what}", "{method} {path}"}};
    spec.client.clear();
    const Read read = read_all(spec, {file.path()});
    REQUIRE(read.requests.size() == 4);
    check_request(read.requests[0], k_2024, "product:12", "192.0.2.9");
    check_request(read.requests[1], k_2024, "product:12:reviews", "192.0.2.9");
    check_request(read.requests[2], k_2024, "category:shoes:GET", "192.0.2.9");
    check_request(read.requests[3], k_2024, "post:/other", "192.0.2.9");
    CHECK(skipped(read.counts, SkipReason::no_rule) == 1);
    CHECK(skipped(read.counts, SkipReason::no_key) == 1);
    CHECK(read.counts.examples.at(0)
          == file.path()
                 + R"(:5: no_rule: "192.0.2.9 - - [01/Jan/2024:00:00:00 +0000] )"
                   R"("GET /other HTTP/1.1" 200 1 "-" "ua"")");
  }

  TEST_CASE("gzip files are read through gzip -dc; a corrupt one is an io error naming the file")
  {
    const TempPath gz(".log.gz");
    const std::string command =
        "gzip -c '" + fixture("elastic_apache_head5.log") + "' > '" + gz.path() + "'";
    REQUIRE(std::system(command.c_str()) == 0);
    const Read read = read_all(spec_of(LogFormat::combined, "{path}"), {gz.path()});
    REQUIRE(read.requests.size() == 5);
    check_request(read.requests[4],
                  1431857107,
                  "/presentations/logstash-monitorama-2013/plugin/notes/notes.js",
                  "83.149.9.216");

    const TempPath truncated(".gz");
    const std::string cut = "head -c 60 '" + gz.path() + "' > '" + truncated.path() + "'";
    REQUIRE(std::system(cut.c_str()) == 0);
    const Error error = read_error(spec_of(LogFormat::combined, "{path}"), {truncated.path()});
    CHECK(error.code == Errc::io);
    CHECK(error.message == truncated.path() + ": gzip: unexpected end of file");
  }

  TEST_CASE("several files are read in order; one that cannot be opened is an error, then the next")
  {
    const std::string missing = fixture("no_such.log");
    std::string line = combined_line("GET /crlf HTTP/1.1", 200, 9);
    line.insert(line.size() - 1, "\r");
    const TempFile crlf("\r\n" + line); // a blank line, then a line ending in CRLF
    auto reader = LogReader::open(spec_of(LogFormat::combined, "{path}"),
                                  {fixture("elastic_apache_head5.log"), missing, crlf.path()});
    REQUIRE(reader.has_value());
    Request request;
    for (int i = 0; i < 5; ++i) {
      REQUIRE((*reader)->next(request) == true);
    }
    CHECK(request.key == "/presentations/logstash-monitorama-2013/plugin/notes/notes.js");
    const auto error = (*reader)->next(request);
    REQUIRE_FALSE(error.has_value());
    CHECK(error.error().code == Errc::io);
    CHECK(error.error().message == missing + ": cannot open: No such file or directory");
    REQUIRE((*reader)->next(request) == true);
    check_request(request, k_2024 + 9, "/crlf", "192.0.2.9");
    CHECK((*reader)->next(request) == false);
    CHECK((*reader)->counts().lines == 6);

    const Error first = open_error(spec_of(LogFormat::combined, "{path}"), {missing});
    CHECK(first.code == Errc::io);
    CHECK(first.message == missing + ": cannot open: No such file or directory");
  }

  TEST_CASE("stdin is read with -, and named stdin in examples")
  {
    const TempFile file("junk\n" + combined_line("GET /in HTTP/1.1", 200));
    const int saved = ::dup(STDIN_FILENO);
    const int fd = ::open(file.path().c_str(), O_RDONLY);
    REQUIRE(saved >= 0);
    REQUIRE(fd >= 0);
    REQUIRE(::dup2(fd, STDIN_FILENO) == STDIN_FILENO);
    ::close(fd);
    const Read read = read_all(spec_of(LogFormat::combined, "{path}"), {"-"});
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
    REQUIRE(read.requests.size() == 1);
    CHECK(read.requests[0].key == "/in");
    CHECK(read.counts.examples == std::vector<std::string>{"stdin:1: unparsed: \"junk\""});
  }

  TEST_CASE("unknown fields are usage errors naming the option and the available fields")
  {
    Error error = open_error(spec_of(LogFormat::combined, "{x}"));
    CHECK(error.code == Errc::usage);
    CHECK(error.message
          == "--key {x}: unknown field x (available: host, ident, user, time, request, method, "
             "path, protocol, status, bytes, referer, agent, 1..9)");
    CHECK(open_error(spec_of(LogFormat::common, "{9}")).message
          == "--key {9}: unknown field 9 (available: host, ident, user, time, request, method, "
             "path, protocol, status, bytes, 1..7)");
    CHECK(open_error(spec_of(LogFormat::combined, "{path}", "when"))
              .message.starts_with("--time-field when: unknown field when (available: host,"));
    LogSpec segment = spec_of(LogFormat::fields, "{1}", "2");
    segment.segment = "{1}-{region}";
    CHECK(open_error(segment).message
          == "--by {1}-{region}: unknown field region (available: 1, 2, ...)");
    LogSpec rule = spec_of(LogFormat::fields, "", "1");
    rule.rules = {KeyRule{"(?<id>.)", "{id}", "{2}"}, KeyRule{"x", "{id}", ""}};
    CHECK(open_error(rule).message
          == "rule 2 field {path}: unknown field path (available: 1, 2, ...)");
    LogSpec filter = spec_of(LogFormat::tsv, "{1}", "2");
    filter.methods = {"GET"};
    CHECK(open_error(filter).message
          == "method filter: unknown field method (available: 1, 2, ...)");
  }

  TEST_CASE("other spec errors are usage errors")
  {
    CHECK(open_error(spec_of(LogFormat::combined, "")).message == "--key or --rules is required");
    CHECK(open_error(spec_of(LogFormat::combined, "{path")).message
          == "--key {path: unclosed '{' at column 1");
    CHECK(open_error(spec_of(LogFormat::csv, "{1}")).message
          == "--time-field is required for the csv format");
    LogSpec header = spec_of(LogFormat::jsonl, "{k}", "t");
    header.header = true;
    CHECK(open_error(header).message == "--header: the jsonl format has no header");
    LogSpec status = spec_of(LogFormat::combined, "{path}");
    status.status_classes = {2, 7};
    CHECK(open_error(status).message == "status class 7 is not 1 to 5");
    LogSpec path = spec_of(LogFormat::combined, "{path}");
    path.path_regex = "[a";
    CHECK(open_error(path).message
          == "path filter [a: unexpected character within '[...]' in regular expression");
    LogSpec rules = spec_of(LogFormat::combined, "");
    rules.rules = {KeyRule{"(", "k", ""}};
    CHECK(open_error(rules).message
          == "rule 1: match (: mismatched '(' and ')' in regular expression");
    rules.rules = {KeyRule{"a", "k", ""}, KeyRule{"(?<a>x)(?<a>y)", "k", ""}};
    CHECK(open_error(rules).message == "rule 2: match (?<a>x)(?<a>y): group name \"a\" used twice");
    rules.rules = {KeyRule{"a", "", ""}};
    CHECK(open_error(rules).message == "rule 1: no key template");
    const Error files = open_error(spec_of(LogFormat::combined, "{path}"), {});
    CHECK(files.code == Errc::usage);
    CHECK(files.message == "no log files");
  }
}
