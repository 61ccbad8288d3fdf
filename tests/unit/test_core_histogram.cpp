#include "cachewarm/core/histogram.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

using cachewarm::core::LatencyHistogram;
using namespace std::chrono_literals;

TEST_SUITE("core::histogram")
{
  TEST_CASE("an empty histogram reports zeros")
  {
    const LatencyHistogram histogram;
    CHECK(histogram.count() == 0);
    CHECK(histogram.quantile_ms(0.5) == 0.0);
    CHECK(histogram.quantile_ms(0.99) == 0.0);
    CHECK(histogram.max_ms() == 0.0);
  }

  TEST_CASE("record counts samples")
  {
    LatencyHistogram histogram;
    histogram.record(1ms);
    histogram.record(2ms);
    histogram.record(3ms);
    CHECK(histogram.count() == 3);
  }

  TEST_CASE("a single sample is its own quantile within 3% at every magnitude")
  {
    for (const std::chrono::nanoseconds value : {std::chrono::nanoseconds(1'000),
                                                 std::chrono::nanoseconds(45'500),
                                                 std::chrono::nanoseconds(33'333),
                                                 std::chrono::nanoseconds(999'999),
                                                 std::chrono::nanoseconds(12'345'678),
                                                 std::chrono::nanoseconds(7s),
                                                 std::chrono::nanoseconds(59min)}) {
      CAPTURE(value.count());
      LatencyHistogram histogram;
      histogram.record(value);
      const double expected_ms = static_cast<double>(value.count()) / 1e6;
      for (const double q : {0.0, 0.5, 1.0}) {
        CHECK(histogram.quantile_ms(q) == doctest::Approx(expected_ms).epsilon(0.03));
      }
    }
  }

  TEST_CASE("quantiles of a uniform spread are within 3%")
  {
    // 1 us .. 100 ms in 1 us steps: the q-quantile is q * 100 ms.
    LatencyHistogram histogram;
    for (std::int64_t us = 1; us <= 100'000; ++us) {
      histogram.record(std::chrono::microseconds(us));
    }
    CHECK(histogram.count() == 100'000);
    CHECK(histogram.quantile_ms(0.01) == doctest::Approx(1.0).epsilon(0.03));
    CHECK(histogram.quantile_ms(0.50) == doctest::Approx(50.0).epsilon(0.03));
    CHECK(histogram.quantile_ms(0.95) == doctest::Approx(95.0).epsilon(0.03));
    CHECK(histogram.quantile_ms(0.99) == doctest::Approx(99.0).epsilon(0.03));
    CHECK(histogram.quantile_ms(1.0) == doctest::Approx(100.0).epsilon(0.03));
  }

  TEST_CASE("quantiles follow the ranks of a skewed distribution")
  {
    // 90 fast samples and 10 slow ones: p50 is fast, p95 and p99 are slow.
    LatencyHistogram histogram;
    for (int i = 0; i < 90; ++i) {
      histogram.record(2ms);
    }
    for (int i = 0; i < 10; ++i) {
      histogram.record(800ms);
    }
    CHECK(histogram.quantile_ms(0.5) == doctest::Approx(2.0).epsilon(0.03));
    CHECK(histogram.quantile_ms(0.9) == doctest::Approx(2.0).epsilon(0.03));
    CHECK(histogram.quantile_ms(0.91) == doctest::Approx(800.0).epsilon(0.03));
    CHECK(histogram.quantile_ms(0.99) == doctest::Approx(800.0).epsilon(0.03));
  }

  TEST_CASE("quantile arguments outside 0..1 are clamped")
  {
    LatencyHistogram histogram;
    histogram.record(1ms);
    histogram.record(100ms);
    CHECK(histogram.quantile_ms(-1.0) == doctest::Approx(1.0).epsilon(0.03));
    CHECK(histogram.quantile_ms(2.0) == doctest::Approx(100.0).epsilon(0.03));
  }

  TEST_CASE("max_ms is exact to the microsecond")
  {
    LatencyHistogram histogram;
    histogram.record(1'234'567ns);
    histogram.record(999us);
    CHECK(histogram.max_ms() == doctest::Approx(1.234).epsilon(1e-12));
  }

  TEST_CASE("no quantile exceeds the maximum")
  {
    LatencyHistogram histogram;
    histogram.record(1'000'001us);
    CHECK(histogram.quantile_ms(1.0) <= histogram.max_ms());
  }

  TEST_CASE("values below 1 us go to the first bucket")
  {
    LatencyHistogram histogram;
    histogram.record(0ns);
    histogram.record(999ns);
    histogram.record(-5ns);
    CHECK(histogram.count() == 3);
    CHECK(histogram.max_ms() == 0.0);
    CHECK(histogram.quantile_ms(1.0) == 0.0);
  }

  TEST_CASE("values above the range go to the last bucket and keep an exact max")
  {
    LatencyHistogram histogram;
    histogram.record(1ms);
    histogram.record(100h);
    CHECK(histogram.count() == 2);
    CHECK(histogram.max_ms() == doctest::Approx(100.0 * 3600 * 1000));
    // The top quantile lands in the last bucket, near the end of the range (2^32 us, ~71 min).
    CHECK(histogram.quantile_ms(1.0) > 4.2e6);
    CHECK(histogram.quantile_ms(0.5) == doctest::Approx(1.0).epsilon(0.03));
  }

  TEST_CASE("merge adds counts and keeps the larger max")
  {
    LatencyHistogram fast;
    LatencyHistogram slow;
    for (int i = 0; i < 50; ++i) {
      fast.record(1ms);
      slow.record(10ms);
    }
    slow.record(20ms);
    fast.merge(slow);
    CHECK(fast.count() == 101);
    CHECK(fast.max_ms() == doctest::Approx(20.0));
    CHECK(fast.quantile_ms(0.25) == doctest::Approx(1.0).epsilon(0.03));
    CHECK(fast.quantile_ms(0.75) == doctest::Approx(10.0).epsilon(0.03));
  }

  TEST_CASE("merging an empty histogram changes nothing")
  {
    LatencyHistogram histogram;
    histogram.record(5ms);
    histogram.merge(LatencyHistogram{});
    CHECK(histogram.count() == 1);
    CHECK(histogram.max_ms() == doctest::Approx(5.0));
    CHECK(histogram.quantile_ms(0.5) == doctest::Approx(5.0).epsilon(0.03));
  }
}
