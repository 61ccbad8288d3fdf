#include "cachewarm/manifest/units.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <limits>
#include <string>

using cachewarm::core::Errc;
using namespace std::chrono_literals;
namespace manifest = cachewarm::manifest;

TEST_SUITE("manifest::units")
{
  TEST_CASE("parse_duration accepts every unit")
  {
    CHECK(manifest::parse_duration("500ms").value() == 500ms);
    CHECK(manifest::parse_duration("90s").value() == 90s);
    CHECK(manifest::parse_duration("30m").value() == 30min);
    CHECK(manifest::parse_duration("2h").value() == 2h);
    CHECK(manifest::parse_duration("1d").value() == 24h);
  }

  TEST_CASE("parse_duration accepts a bare zero")
  {
    CHECK(manifest::parse_duration("0").value() == 0ms);
    CHECK(manifest::parse_duration("0s").value() == 0ms);
  }

  TEST_CASE("parse_duration rejects malformed text with the documented message")
  {
    const auto result = manifest::parse_duration("2x");
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::manifest);
    CHECK(result.error().message
          == R"(invalid duration "2x" (expected e.g. 500ms, 90s, 30m, 2h, 1d))");
  }

  TEST_CASE("parse_duration rejects negatives, floats, empty, bare numbers and overflow")
  {
    for (const char* text : {"",
                             "-5s",
                             "1.5h",
                             "5",
                             "s",
                             " 5s",
                             "5s ",
                             "5 s",
                             "+5s",
                             "5S",
                             "99999999999999999999d",
                             "9223372036854775807d",
                             "106751991167301d"}) {
      CAPTURE(text);
      CHECK_FALSE(manifest::parse_duration(text));
    }
  }

  TEST_CASE("parse_duration accepts the largest representable day count")
  {
    CHECK(manifest::parse_duration("106751991167d").value()
          == std::chrono::milliseconds{106751991167LL * 86400000LL});
  }

  TEST_CASE("parse_rate accepts per second, minute and hour")
  {
    CHECK(manifest::parse_rate("500/s").value().per_second == doctest::Approx(500.0));
    CHECK(manifest::parse_rate("1200/m").value().per_second == doctest::Approx(20.0));
    CHECK(manifest::parse_rate("7200/h").value().per_second == doctest::Approx(2.0));
  }

  TEST_CASE("parse_rate accepts decimals")
  {
    CHECK(manifest::parse_rate("0.5/s").value().per_second == doctest::Approx(0.5));
    CHECK(manifest::parse_rate("2.5/m").value().per_second == doctest::Approx(2.5 / 60.0));
  }

  TEST_CASE("parse_rate treats unlimited as zero")
  {
    CHECK(manifest::parse_rate("unlimited").value() == manifest::Rate{});
  }

  TEST_CASE("parse_rate rejects malformed text with the documented message")
  {
    const auto result = manifest::parse_rate("fast");
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::manifest);
    CHECK(result.error().message
          == R"(invalid rate "fast" (expected e.g. 500/s, 1000/m, unlimited or auto))");
  }

  TEST_CASE("parse_rate rejects zero, negatives, bad units and junk")
  {
    for (const char* text : {"",
                             "0/s",
                             "-5/s",
                             "5",
                             "5/d",
                             "5/",
                             "/s",
                             "1e3/s",
                             "5./s",
                             ".5/s",
                             "5/s/s",
                             "nan/s",
                             "inf/s",
                             "Unlimited"}) {
      CAPTURE(text);
      CHECK_FALSE(manifest::parse_rate(text));
    }
  }

  TEST_CASE("parse_range parses an unpadded range")
  {
    const manifest::Range range = manifest::parse_range("1..5000").value();
    CHECK(range.first == 1);
    CHECK(range.last == 5000);
    CHECK(range.width == 0);
    CHECK(range.size() == 5000);
    CHECK(range.at(0) == "1");
    CHECK(range.at(4999) == "5000");
  }

  TEST_CASE("parse_range takes the width from a first bound with leading zeros")
  {
    const manifest::Range range = manifest::parse_range("001..120").value();
    CHECK(range.first == 1);
    CHECK(range.last == 120);
    CHECK(range.width == 3);
    CHECK(range.at(0) == "001");
    CHECK(range.at(9) == "010");
    CHECK(range.at(119) == "120");
  }

  TEST_CASE("parse_range gives a lone zero no padding")
  {
    const manifest::Range range = manifest::parse_range("0..9").value();
    CHECK(range.width == 0);
    CHECK(range.size() == 10);
    CHECK(range.at(0) == "0");
  }

  TEST_CASE("parse_range accepts a single-value range")
  {
    const manifest::Range range = manifest::parse_range("7..7").value();
    CHECK(range.size() == 1);
    CHECK(range.at(0) == "7");
  }

  TEST_CASE("parse_range reports an empty range")
  {
    const auto result = manifest::parse_range("9..1");
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::manifest);
    CHECK(result.error().message == R"(range "9..1" is empty)");
  }

  TEST_CASE("parse_range rejects malformed text with the documented message")
  {
    const auto result = manifest::parse_range("a..b");
    REQUIRE_FALSE(result);
    CHECK(result.error().message == R"(invalid range "a..b" (expected e.g. 1..5000 or 001..120))");
  }

  TEST_CASE("parse_range rejects negatives, garbage and more than 18 digits")
  {
    for (const char* text : {"",
                             "..",
                             "1..",
                             "..5",
                             "1...5",
                             "-1..5",
                             "1..-5",
                             "1.5",
                             "1..5x",
                             " 1..5",
                             "1 ..5",
                             "1..1000000000000000000",
                             "1..999999999999999999 "}) {
      CAPTURE(text);
      CHECK_FALSE(manifest::parse_range(text));
    }
  }

  TEST_CASE("parse_range accepts 18 digits")
  {
    const manifest::Range range = manifest::parse_range("0..999999999999999999").value();
    CHECK(range.last == 999999999999999999LL);
    CHECK(range.at(range.size() - 1) == "999999999999999999");
  }

  TEST_CASE("parse_jitter parses a percentage as a fraction")
  {
    const manifest::Jitter jitter = manifest::parse_jitter("10%").value();
    CHECK(jitter.fraction == doctest::Approx(0.10));
    CHECK(jitter.absolute == 0ms);
    CHECK(manifest::parse_jitter("0%").value().is_zero());
    CHECK(manifest::parse_jitter("100%").value().fraction == doctest::Approx(1.0));
    CHECK(manifest::parse_jitter("2.5%").value().fraction == doctest::Approx(0.025));
  }

  TEST_CASE("parse_jitter parses a duration as an absolute spread")
  {
    const manifest::Jitter jitter = manifest::parse_jitter("5m").value();
    CHECK(jitter.fraction == 0.0);
    CHECK(jitter.absolute == 5min);
  }

  TEST_CASE("parse_jitter rejects out-of-range percentages and junk with the documented message")
  {
    const auto result = manifest::parse_jitter("150%");
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::manifest);
    CHECK(result.error().message
          == R"(invalid jitter "150%" (expected a percentage like 10% or a duration like 5m))");
    for (const char* text : {"", "%", "-5%", "abc", "10", "5x", "10 %"}) {
      CAPTURE(text);
      CHECK_FALSE(manifest::parse_jitter(text));
    }
  }

  TEST_CASE("parse_size accepts plain bytes")
  {
    CHECK(manifest::parse_size("65536").value() == 65536);
    CHECK(manifest::parse_size("1").value() == 1);
    CHECK(manifest::parse_size("0").value() == 0);
  }

  TEST_CASE("parse_size accepts binary units")
  {
    CHECK(manifest::parse_size("512KiB").value() == 512 * 1024);
    CHECK(manifest::parse_size("8MiB").value() == 8 * 1024 * 1024);
    CHECK(manifest::parse_size("1GiB").value() == std::size_t{1024} * 1024 * 1024);
    CHECK(manifest::parse_size("0MiB").value() == 0);
  }

  TEST_CASE("parse_size accepts decimal units")
  {
    CHECK(manifest::parse_size("100kB").value() == 100000);
    CHECK(manifest::parse_size("10MB").value() == 10000000);
    CHECK(manifest::parse_size("2GB").value() == std::size_t{2000000000});
  }

  TEST_CASE("parse_size accepts the largest representable byte count")
  {
    CHECK(manifest::parse_size("18446744073709551615").value()
          == std::numeric_limits<std::size_t>::max());
    CHECK(manifest::parse_size("17179869183GiB").value()
          == std::size_t{17179869183} * 1024 * 1024 * 1024);
  }

  TEST_CASE("parse_size rejects malformed text with the documented message")
  {
    const auto result = manifest::parse_size("8mb");
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::manifest);
    CHECK(result.error().message == R"(invalid size "8mb" (expected e.g. 65536, 512KiB or 8MiB))");
  }

  TEST_CASE("parse_size rejects wrong case, spaces, signs, decimals, bare units and overflow")
  {
    for (const char* text : {"",
                             "KiB",
                             "8 MiB",
                             " 8MiB",
                             "8MiB ",
                             "-1",
                             "+1",
                             "1.5MiB",
                             "8kib",
                             "8KB",
                             "8mB",
                             "8M",
                             "8B",
                             "8MiBs",
                             "0x10",
                             "18446744073709551616",
                             "17179869184GiB",
                             "99999999999999999999999"}) {
      CAPTURE(text);
      CHECK_FALSE(manifest::parse_size(text));
    }
  }

  TEST_CASE("format_duration uses the largest exact unit")
  {
    CHECK(manifest::format_duration(7200000ms) == "2h");
    CHECK(manifest::format_duration(24h) == "1d");
    CHECK(manifest::format_duration(90s) == "90s");
    CHECK(manifest::format_duration(30min) == "30m");
    CHECK(manifest::format_duration(1500ms) == "1500ms");
    CHECK(manifest::format_duration(0ms) == "0");
  }

  TEST_CASE("format_duration output parses back to the same duration")
  {
    for (std::chrono::milliseconds duration :
         {1ms, 999ms, 1000ms, 61000ms, 3600000ms, 90000000ms}) {
      CAPTURE(duration.count());
      CHECK(manifest::parse_duration(manifest::format_duration(duration)).value() == duration);
    }
  }
}
