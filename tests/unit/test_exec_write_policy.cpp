#include "cachewarm/exec/write_policy.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <limits>

using cachewarm::core::Entry;
using cachewarm::exec::WritePolicy;
using cachewarm::manifest::Jitter;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t k_max = std::numeric_limits<std::int64_t>::max();

Entry
entry()
{
  return Entry{"k", std::string("v"), 0ms, false};
}

} // namespace

TEST_SUITE("exec::write_policy")
{
  TEST_CASE("without jitter every entry gets the TTL and only_missing as they are")
  {
    WritePolicy policy(90s, Jitter{}, true, 1);
    Entry e = entry();
    policy.apply(e);
    CHECK(e.ttl == 90s);
    CHECK(e.only_missing);
    CHECK(policy.spread_ms() == 0);
  }

  TEST_CASE("a fractional jitter spreads TTLs over ttl +- fraction, both sides reached")
  {
    WritePolicy policy(100s, Jitter{0.1, 0ms}, false, 42);
    CHECK(policy.spread_ms() == 10000);
    std::int64_t low = k_max;
    std::int64_t high = 0;
    for (int i = 0; i < 2000; ++i) {
      Entry e = entry();
      policy.apply(e);
      low = std::min<std::int64_t>(low, e.ttl.count());
      high = std::max<std::int64_t>(high, e.ttl.count());
    }
    CHECK(low >= 90000);
    CHECK(high <= 110000);
    CHECK(low < 92000); // spread, not a constant
    CHECK(high > 108000);
  }

  TEST_CASE("a jitter wider than the TTL is clamped so no TTL reaches zero")
  {
    WritePolicy policy(10ms, Jitter{0.0, 1h}, false, 7);
    CHECK(policy.spread_ms() == 9);
    for (int i = 0; i < 500; ++i) {
      Entry e = entry();
      policy.apply(e);
      CHECK(e.ttl.count() >= 1);
      CHECK(e.ttl.count() <= 19);
    }
  }

  TEST_CASE("a restored value keeps the TTL it came with; only_missing still applies")
  {
    WritePolicy policy(90s, Jitter{0.5, 0ms}, true, 7);
    Entry e{"k", cachewarm::core::DumpValue{"payload"}, 1234ms, false};
    policy.apply(e);
    CHECK(e.ttl == 1234ms);
    CHECK(e.only_missing);
  }

  TEST_CASE("no TTL means no jitter")
  {
    WritePolicy policy(0ms, Jitter{0.5, 10s}, false, 3);
    Entry e = entry();
    policy.apply(e);
    CHECK(e.ttl == 0ms);
  }

  TEST_CASE("a huge TTL with jitter saturates instead of overflowing (the overflow fix)")
  {
    // ttl + shift overflows int64 for about half the draws: each must come out at the maximum,
    // never negative (a negative TTL would be a signed overflow and a wrong command).
    const std::chrono::milliseconds ttl(k_max - 5);
    WritePolicy policy(ttl, Jitter{0.5, 0ms}, false, 11);
    CHECK(policy.spread_ms() > 0);
    int saturated = 0;
    for (int i = 0; i < 200; ++i) {
      Entry e = entry();
      policy.apply(e);
      CHECK(e.ttl.count() > 0);
      CHECK(e.ttl.count() >= ttl.count() - policy.spread_ms());
      saturated += e.ttl.count() == k_max ? 1 : 0;
    }
    CHECK(saturated > 50);
    CHECK(saturated < 150);
  }

  TEST_CASE("the largest TTL with a 100% jitter clamps the spread without undefined behaviour")
  {
    // double(INT64_MAX - 1) rounds to 2^63: the clamp must come from the integer (the fuzz
    // regression tests/fuzz/regressions/run/runner_ttl_jitter_overflow.yaml).
    WritePolicy policy(std::chrono::milliseconds(k_max), Jitter{1.0, 0ms}, false, 5);
    CHECK(policy.spread_ms() == k_max - 1);
    for (int i = 0; i < 100; ++i) {
      Entry e = entry();
      policy.apply(e);
      CHECK(e.ttl.count() >= 1);
    }
  }

  TEST_CASE("the same seed gives the same TTLs")
  {
    WritePolicy a(1h, Jitter{0.2, 0ms}, false, 99);
    WritePolicy b(1h, Jitter{0.2, 0ms}, false, 99);
    for (int i = 0; i < 20; ++i) {
      Entry x = entry();
      Entry y = entry();
      a.apply(x);
      b.apply(y);
      CHECK(x.ttl == y.ttl);
    }
  }
}
