#include "cachewarm/core/backoff.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

using cachewarm::core::Backoff;
using namespace std::chrono_literals;

namespace {

// The first `n` delays of `backoff`.
std::vector<std::chrono::milliseconds>
draw(Backoff& backoff, int n)
{
  std::vector<std::chrono::milliseconds> delays;
  delays.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    delays.push_back(backoff.next());
  }
  return delays;
}

} // namespace

TEST_SUITE("core::backoff")
{
  TEST_CASE("ceiling grows by the factor from the base")
  {
    const Backoff backoff(100ms, 1h, 2.0);
    CHECK(backoff.ceiling(0) == 100ms);
    CHECK(backoff.ceiling(1) == 200ms);
    CHECK(backoff.ceiling(2) == 400ms);
    CHECK(backoff.ceiling(5) == 3200ms);
  }

  TEST_CASE("ceiling honours a non-integer factor")
  {
    const Backoff backoff(100ms, 1h, 1.5);
    CHECK(backoff.ceiling(1) == 150ms);
    CHECK(backoff.ceiling(2) == 225ms);
  }

  TEST_CASE("ceiling stops at the cap")
  {
    const Backoff backoff(100ms, 1000ms, 2.0);
    CHECK(backoff.ceiling(3) == 800ms);
    CHECK(backoff.ceiling(4) == 1000ms);
    CHECK(backoff.ceiling(10) == 1000ms);
  }

  TEST_CASE("ceiling does not overflow for huge attempts")
  {
    const Backoff backoff(1ms, 30s, 2.0);
    CHECK(backoff.ceiling(64) == 30s);
    CHECK(backoff.ceiling(1000) == 30s);
    CHECK(backoff.ceiling(4'000'000'000U) == 30s);
    const Backoff huge_cap(1ms, std::chrono::milliseconds::max(), 10.0);
    CHECK(huge_cap.ceiling(400) == std::chrono::milliseconds::max());
  }

  TEST_CASE("a base above the cap is capped")
  {
    const Backoff backoff(5s, 1s, 2.0);
    CHECK(backoff.ceiling(0) == 1s);
  }

  TEST_CASE("next stays within the jitter window of each attempt")
  {
    Backoff backoff(10ms, 500ms, 2.0, 42);
    for (unsigned attempt = 0; attempt < 20; ++attempt) {
      const std::chrono::milliseconds ceiling = backoff.ceiling(attempt);
      const std::chrono::milliseconds delay = backoff.next();
      CHECK(delay >= 0ms);
      CHECK(delay <= ceiling);
    }
  }

  TEST_CASE("next increments the attempt counter and reset clears it")
  {
    Backoff backoff(10ms, 1s);
    CHECK(backoff.attempt() == 0);
    (void)backoff.next();
    (void)backoff.next();
    CHECK(backoff.attempt() == 2);
    backoff.reset();
    CHECK(backoff.attempt() == 0);
  }

  TEST_CASE("the same seed gives the same delays")
  {
    Backoff first(10ms, 10s, 2.0, 1234);
    Backoff second(10ms, 10s, 2.0, 1234);
    CHECK(draw(first, 50) == draw(second, 50));
  }

  TEST_CASE("different seeds give different delays")
  {
    Backoff first(1s, 1s, 2.0, 1);
    Backoff second(1s, 1s, 2.0, 2);
    CHECK(draw(first, 20) != draw(second, 20));
  }

  TEST_CASE("jitter is spread over the whole window")
  {
    // 10 000 draws over [0, 9]: every value shows up, both ends included, about 1000 times each.
    Backoff backoff(9ms, 9ms, 2.0, 7);
    std::vector<int> counts(10, 0);
    for (int i = 0; i < 10'000; ++i) {
      const std::chrono::milliseconds delay = backoff.next();
      REQUIRE(delay >= 0ms);
      REQUIRE(delay <= 9ms);
      ++counts[static_cast<std::size_t>(delay.count())];
    }
    for (const int count : counts) {
      CHECK(count > 850);
      CHECK(count < 1150);
    }
  }

  TEST_CASE("a zero window always gives zero")
  {
    Backoff backoff(0ms, 0ms, 2.0, 3);
    for (const std::chrono::milliseconds delay : draw(backoff, 100)) {
      CHECK(delay == 0ms);
    }
  }

  TEST_CASE("reset restarts the window from the base")
  {
    Backoff backoff(1000ms, 60s, 2.0, 99);
    (void)draw(backoff, 10);
    for (int i = 0; i < 100; ++i) {
      backoff.reset();
      CHECK(backoff.next() <= 1000ms);
    }
  }

  TEST_CASE("jitter works with the largest representable cap")
  {
    Backoff backoff(std::chrono::milliseconds::max(), std::chrono::milliseconds::max(), 2.0, 5);
    for (const std::chrono::milliseconds delay : draw(backoff, 100)) {
      CHECK(delay >= 0ms);
    }
  }
}
