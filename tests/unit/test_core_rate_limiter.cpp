#include "cachewarm/core/clock.hpp"
#include "cachewarm/core/rate_limiter.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

using cachewarm::core::ManualClock;
using cachewarm::core::RateLimiter;
using namespace std::chrono_literals;

TEST_SUITE("core::rate_limiter")
{
  TEST_CASE("a non-positive rate is unlimited")
  {
    const ManualClock clock;
    RateLimiter zero(0.0, clock);
    RateLimiter negative(-5.0, clock);
    for (int i = 0; i < 1000; ++i) {
      CHECK(zero.reserve(1'000'000) == 0ns);
      CHECK(negative.reserve(1'000'000) == 0ns);
    }
  }

  TEST_CASE("the bucket starts full with the explicit burst")
  {
    const ManualClock clock;
    RateLimiter limiter(10.0, clock, 5.0);
    for (int i = 0; i < 5; ++i) {
      CHECK(limiter.reserve(1) == 0ns);
    }
    CHECK(limiter.reserve(1) == 100ms);
  }

  TEST_CASE("the default burst is what accrues in 50 ms")
  {
    const ManualClock clock;
    RateLimiter limiter(1000.0, clock);
    CHECK(limiter.reserve(50) == 0ns);
    CHECK(limiter.reserve(1) == 1ms);
  }

  TEST_CASE("the default burst is at least one token")
  {
    const ManualClock clock;
    RateLimiter limiter(2.0, clock);
    CHECK(limiter.reserve(1) == 0ns);
    CHECK(limiter.reserve(1) == 500ms);
  }

  TEST_CASE("reserve goes into debt and the wait grows with it")
  {
    const ManualClock clock;
    RateLimiter limiter(100.0, clock, 1.0);
    CHECK(limiter.reserve(1) == 0ns);
    CHECK(limiter.reserve(1) == 10ms);
    CHECK(limiter.reserve(1) == 20ms);
    CHECK(limiter.reserve(10) == 120ms);
  }

  TEST_CASE("tokens accrue with time")
  {
    ManualClock clock;
    RateLimiter limiter(100.0, clock, 10.0);
    CHECK(limiter.reserve(10) == 0ns);
    clock.advance(50ms); // 5 tokens back
    CHECK(limiter.reserve(5) == 0ns);
    CHECK(limiter.reserve(1) == 10ms);
  }

  TEST_CASE("waiting as told repays the debt exactly")
  {
    ManualClock clock;
    RateLimiter limiter(100.0, clock, 1.0);
    CHECK(limiter.reserve(1) == 0ns);
    const std::chrono::nanoseconds wait = limiter.reserve(4);
    CHECK(wait == 40ms);
    clock.advance(wait);
    CHECK(limiter.reserve(1) == 10ms);
  }

  TEST_CASE("an idle bucket refills only up to the burst")
  {
    ManualClock clock;
    RateLimiter limiter(100.0, clock, 3.0);
    CHECK(limiter.reserve(3) == 0ns);
    clock.advance(1h);
    CHECK(limiter.reserve(3) == 0ns);
    CHECK(limiter.reserve(1) == 10ms);
  }

  TEST_CASE("per_second returns the configured rate")
  {
    const ManualClock clock;
    const RateLimiter limiter(250.5, clock);
    CHECK(limiter.per_second() == doctest::Approx(250.5));
  }

  TEST_CASE("callers that wait as told achieve the rate within 1%")
  {
    // Awkward rates so rounding waits to whole nanoseconds matters; about 100 simulated seconds
    // each, in about 100k calls, so the initial burst is well under 1% of the tokens.
    for (const double rate : {7.0, 333.3, 1000.0, 48'271.0, 1'000'000.0}) {
      CAPTURE(rate);
      ManualClock clock;
      const auto start = clock.now();
      RateLimiter limiter(rate, clock);
      const auto batch = static_cast<std::uint64_t>(std::ceil(rate * 100.0 / 100'000.0));
      const auto total = static_cast<std::uint64_t>(rate * 100.0);
      std::uint64_t sent = 0;
      while (sent < total) {
        clock.advance(limiter.reserve(batch));
        sent += batch;
      }
      const double seconds = std::chrono::duration<double>(clock.now() - start).count();
      const double achieved = static_cast<double>(sent) / seconds;
      CHECK(achieved == doctest::Approx(rate).epsilon(0.01));
    }
  }

  TEST_CASE("concurrent reserve loses no tokens")
  {
    // The clock stands still, so after all threads finish the debt is exactly the sum of what they
    // took minus the burst, and the wait reveals it to the nanosecond.
    const ManualClock clock;
    RateLimiter limiter(1000.0, clock, 1.0);
    constexpr std::uint64_t k_threads = 8;
    constexpr std::uint64_t k_calls = 5000;
    constexpr std::uint64_t k_tokens_per_call = 3;
    {
      std::vector<std::jthread> threads;
      threads.reserve(k_threads);
      for (std::uint64_t t = 0; t < k_threads; ++t) {
        threads.emplace_back([&limiter] {
          for (std::uint64_t i = 0; i < k_calls; ++i) {
            (void)limiter.reserve(k_tokens_per_call);
          }
        });
      }
    }
    const std::uint64_t total = k_threads * k_calls * k_tokens_per_call;
    // 1000 tokens per second: each token of debt is one millisecond.
    CHECK(limiter.reserve(0) == std::chrono::milliseconds(static_cast<std::int64_t>(total) - 1));
  }
}
