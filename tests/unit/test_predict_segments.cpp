// Segments (--by): address prefixes to segment names, and one prediction per segment.

#include "support/temp_files.hpp"

#include "cachewarm/predict/access_log.hpp"
#include "cachewarm/predict/predict.hpp"
#include "cachewarm/predict/segments.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using cachewarm::predict::LogFormat;
using cachewarm::predict::LogReader;
using cachewarm::predict::LogSpec;
using cachewarm::predict::PredictOptions;
using cachewarm::predict::PrefixTable;
using cachewarm::predict::read_segment_prefixes;
using cachewarm::predict::SegmentPrefix;
using cachewarm::test::TempFile;

namespace {

// A `fields` log: `TIME ADDRESS KEY` lines, one per second from 1700000000; `keys` per line.
std::string
log_of(const std::vector<std::pair<std::string, std::string>>& lines)
{
  std::string text;
  long t = 1'700'000'000;
  for (const auto& [address, key] : lines) {
    text += std::to_string(t++) + " " + address + " " + key + "\n";
  }
  return text;
}

LogSpec
segmented(std::vector<SegmentPrefix> prefixes = {})
{
  LogSpec spec;
  spec.format = LogFormat::fields;
  spec.time_field = "1";
  spec.key = "{3}";
  spec.segment = "{2}";
  spec.segment_prefixes = std::move(prefixes);
  return spec;
}

} // namespace

TEST_SUITE("predict::segments")
{
  TEST_CASE("the longest matching prefix names the segment; no match or no address is other")
  {
    auto table = PrefixTable::make({{"10.0.0.0/8", "lab"},
                                    {"10.1.0.0/16", "eu"},
                                    {"2001:db8::/32", "us"},
                                    {"192.0.2.7", "one"}});
    REQUIRE(table);
    CHECK(table->lookup("10.1.2.3") == "eu");
    CHECK(table->lookup("10.2.2.3") == "lab");
    CHECK(table->lookup("10.1.2.3:51234") == "eu");
    CHECK(table->lookup("2001:db8:1::5") == "us");
    CHECK(table->lookup("[2001:db8::1]:443") == "us");
    CHECK(table->lookup("192.0.2.7") == "one");
    CHECK(table->lookup("192.0.2.8") == "other");
    CHECK(table->lookup("2001:db9::1") == "other");
    CHECK(table->lookup("not-an-address") == "other");
    CHECK(PrefixTable::make({{"0.0.0.0/0", "all"}})->lookup("8.8.8.8") == "all");
    CHECK(PrefixTable::make({{"10.1.0.0/12", "odd"}})->lookup("10.15.255.1") == "odd");
    CHECK(PrefixTable::make({{"10.1.0.0/12", "odd"}})->lookup("10.16.0.1") == "other");
  }

  TEST_CASE("bad prefixes and empty names are refused")
  {
    for (const char* prefix :
         {"10.1.0.0/33", "10.1.0/16", "10.1.0.0/", "x/8", "::/129", "10.1.0.0/a"}) {
      CAPTURE(prefix);
      CHECK(PrefixTable::make({{prefix, "eu"}}).error().message
            == std::string("bad prefix \"") + prefix
                   + "\" (expected an address/length like 10.1.0.0/16 or 2001:db8::/32)");
    }
    CHECK_FALSE(PrefixTable::make({{"10.0.0.0/8", ""}}));
  }

  TEST_CASE("a prefix file: PREFIX NAME lines, comments and blank lines; errors name the line")
  {
    const TempFile good("# regions\n10.1.0.0/16 eu\n\n  2001:db8::/32\tus  # lab\n");
    const auto rows = read_segment_prefixes(good.path());
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[1].prefix == "2001:db8::/32");
    CHECK((*rows)[1].name == "us");
    const TempFile one_word("10.1.0.0/16 eu\n10.2.0.0/16\n");
    CHECK(read_segment_prefixes(one_word.path()).error().message
          == one_word.path() + ":2: expected \"PREFIX NAME\"");
    const TempFile bad("10.1.0.0/99 eu\n");
    CHECK(read_segment_prefixes(bad.path())
              .error()
              .message.starts_with(bad.path() + ":1: bad prefix"));
    CHECK_FALSE(read_segment_prefixes("/nonexistent/prefixes"));
  }

  TEST_CASE("each segment is predicted from its own requests alone")
  {
    std::vector<std::pair<std::string, std::string>> lines;
    for (int i = 0; i < 30; ++i) {
      lines.emplace_back("10.1.0.1", i % 3 == 0 ? "b" : "a");
      lines.emplace_back("192.168.0.1", i % 3 == 0 ? "y" : "x");
      lines.emplace_back("172.16.0.1", "z");
    }
    const TempFile file(log_of(lines));
    auto reader = LogReader::open(segmented({{"10.1.0.0/16", "eu"}, {"192.168.0.0/16", "us"}}),
                                  {file.path()});
    REQUIRE(reader);
    PredictOptions options;
    options.top = 1;
    const auto segments = cachewarm::predict::predict_segments(**reader, options, 8);
    REQUIRE(segments);
    REQUIRE(segments->size() == 3);
    CHECK((*segments)[0].segment == "eu");
    CHECK((*segments)[0].prediction.keys.at(0).key == "a");
    CHECK((*segments)[1].segment == "other");
    CHECK((*segments)[1].prediction.keys.at(0).key == "z");
    CHECK((*segments)[2].segment == "us");
    CHECK((*segments)[2].prediction.keys.at(0).key == "x");

    // One segment alone (what a targets_by_segment group predicts).
    auto again = LogReader::open(segmented({{"10.1.0.0/16", "eu"}}), {file.path()});
    REQUIRE(again);
    options.top = 5;
    options.segment = "eu";
    const auto eu = cachewarm::predict::predict_keys(**again, options);
    REQUIRE(eu);
    REQUIRE(eu->keys.size() == 2);
    CHECK(eu->keys[0].key == "a");
    CHECK(eu->keys[1].key == "b");
  }

  TEST_CASE("more segments than allowed is a usage error naming the next one")
  {
    const TempFile file(log_of({{"h1", "a"}, {"h2", "a"}, {"h3", "a"}}));
    auto reader = LogReader::open(segmented(), {file.path()});
    REQUIRE(reader);
    const auto segments = cachewarm::predict::predict_segments(**reader, PredictOptions{}, 2);
    REQUIRE_FALSE(segments);
    CHECK(segments.error().message.starts_with(
        "--by: more than 2 segments (the next one is \"h3\")"));
  }

  TEST_CASE("prefixes without a segment template are refused when the log is opened")
  {
    LogSpec spec = segmented({{"10.0.0.0/8", "lab"}});
    spec.segment.clear();
    const TempFile file(log_of({{"h1", "a"}}));
    CHECK_FALSE(LogReader::open(spec, {file.path()}));
  }
}
