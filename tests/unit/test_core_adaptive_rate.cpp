#include "cachewarm/core/adaptive_rate.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string_view>
#include <vector>

using cachewarm::core::AdaptiveRate;
using cachewarm::core::AdaptiveRateOptions;
using cachewarm::core::HealthSample;
using cachewarm::core::Strain;
using namespace std::chrono_literals;

namespace {

// An interval in which nothing was strained (and nothing was measured).
const HealthSample k_healthy{};

// An interval whose write round trips were too slow with the default max_latency (5 ms).
HealthSample
slow_writes()
{
  HealthSample sample;
  sample.write_latency = 6ms;
  return sample;
}

HealthSample
with_probe(std::chrono::nanoseconds probe)
{
  HealthSample sample;
  sample.probe_latency = probe;
  return sample;
}

HealthSample
with_memory(double fraction)
{
  HealthSample sample;
  sample.memory_fraction = fraction;
  return sample;
}

HealthSample
with_write_latency(std::chrono::nanoseconds latency)
{
  HealthSample sample;
  sample.write_latency = latency;
  return sample;
}

} // namespace

TEST_SUITE("core::adaptive_rate")
{
  TEST_CASE("the start rate is clamped to [min_rate, max_rate]")
  {
    AdaptiveRateOptions options;
    options.min_rate = 500.0;
    options.max_rate = 20'000.0;

    options.start_rate = 5000.0;
    CHECK(AdaptiveRate(options).rate() == 5000.0);

    options.start_rate = 100.0;
    CHECK(AdaptiveRate(options).rate() == 500.0);

    options.start_rate = 50'000.0;
    CHECK(AdaptiveRate(options).rate() == 20'000.0);

    options.start_rate = 0.0;
    CHECK(AdaptiveRate(options).rate() == 500.0);

    // No ceiling: any start above the floor stands.
    options.max_rate = 0.0;
    options.start_rate = 1'000'000.0;
    CHECK(AdaptiveRate(options).rate() == 1'000'000.0);

    // A ceiling below the floor: the floor wins.
    options.min_rate = 1000.0;
    options.max_rate = 800.0;
    options.start_rate = 5000.0;
    CHECK(AdaptiveRate(options).rate() == 1000.0);
  }

  TEST_CASE("the defaults start at 5000 keys/s")
  {
    const AdaptiveRate rate{AdaptiveRateOptions{}};
    CHECK(rate.rate() == 5000.0);
    CHECK(rate.lowest() == 5000.0);
    CHECK(rate.highest() == 5000.0);
    CHECK_FALSE(rate.probe_limit().has_value());
  }

  TEST_CASE("healthy intervals add step each until max_rate and never above")
  {
    AdaptiveRateOptions options;
    options.start_rate = 5000.0;
    options.step = 2000.0;
    options.max_rate = 12'000.0;
    AdaptiveRate rate(options);
    CHECK(rate.update(k_healthy) == Strain::none);
    CHECK(rate.rate() == 7000.0);
    CHECK(rate.update(k_healthy) == Strain::none);
    CHECK(rate.rate() == 9000.0);
    CHECK(rate.update(k_healthy) == Strain::none);
    CHECK(rate.rate() == 11'000.0);
    CHECK(rate.update(k_healthy) == Strain::none);
    CHECK(rate.rate() == 12'000.0); // 13000 capped
    for (int i = 0; i < 50; ++i) {
      CHECK(rate.update(k_healthy) == Strain::none);
      CHECK(rate.rate() == 12'000.0);
    }
    CHECK(rate.highest() == 12'000.0);
    CHECK(rate.count(Strain::none) == 54);
  }

  TEST_CASE("there is no ceiling when max_rate is 0")
  {
    AdaptiveRateOptions options;
    options.start_rate = 5000.0;
    options.step = 2000.0;
    options.max_rate = 0.0;
    AdaptiveRate rate(options);
    for (int i = 0; i < 1000; ++i) {
      rate.update(k_healthy);
    }
    CHECK(rate.rate() == 5000.0 + 1000.0 * 2000.0);
    CHECK(rate.highest() == 2'005'000.0);
  }

  TEST_CASE("strain multiplies by backoff and never goes below min_rate")
  {
    AdaptiveRateOptions options;
    options.start_rate = 5000.0;
    options.min_rate = 500.0;
    options.backoff = 0.5;
    AdaptiveRate rate(options);
    CHECK(rate.update(slow_writes()) == Strain::latency);
    CHECK(rate.rate() == 2500.0);
    CHECK(rate.update(slow_writes()) == Strain::latency);
    CHECK(rate.rate() == 1250.0);
    CHECK(rate.update(slow_writes()) == Strain::latency);
    CHECK(rate.rate() == 625.0);
    CHECK(rate.update(slow_writes()) == Strain::latency);
    CHECK(rate.rate() == 500.0); // 312.5 raised to the floor
    CHECK(rate.update(slow_writes()) == Strain::latency);
    CHECK(rate.rate() == 500.0);
    CHECK(rate.lowest() == 500.0);
    CHECK(rate.count(Strain::latency) == 5);
  }

  TEST_CASE("another backoff factor is applied as given")
  {
    AdaptiveRateOptions options;
    options.start_rate = 10'000.0;
    options.backoff = 0.75;
    AdaptiveRate rate(options);
    rate.update(slow_writes());
    CHECK(rate.rate() == 7500.0);
    rate.update(slow_writes());
    CHECK(rate.rate() == 5625.0);
  }

  TEST_CASE("after a back-off hold_intervals healthy intervals hold the rate")
  {
    AdaptiveRateOptions options;
    options.start_rate = 8000.0;
    options.step = 2000.0;
    options.hold_intervals = 2;
    AdaptiveRate rate(options);
    CHECK(rate.update(slow_writes()) == Strain::latency);
    CHECK(rate.rate() == 4000.0);
    CHECK(rate.update(k_healthy) == Strain::none);
    CHECK(rate.rate() == 4000.0); // held (1)
    CHECK(rate.update(k_healthy) == Strain::none);
    CHECK(rate.rate() == 4000.0); // held (2)
    CHECK(rate.update(k_healthy) == Strain::none);
    CHECK(rate.rate() == 6000.0);
    CHECK(rate.update(k_healthy) == Strain::none);
    CHECK(rate.rate() == 8000.0);
  }

  TEST_CASE("a strain during the hold backs off again and restarts the hold")
  {
    AdaptiveRateOptions options;
    options.start_rate = 8000.0;
    options.step = 2000.0;
    options.hold_intervals = 2;
    AdaptiveRate rate(options);
    rate.update(slow_writes());
    CHECK(rate.rate() == 4000.0);
    rate.update(k_healthy);
    CHECK(rate.rate() == 4000.0);
    rate.update(slow_writes());
    CHECK(rate.rate() == 2000.0);
    rate.update(k_healthy);
    CHECK(rate.rate() == 2000.0);
    rate.update(k_healthy);
    CHECK(rate.rate() == 2000.0);
    rate.update(k_healthy);
    CHECK(rate.rate() == 4000.0);
  }

  TEST_CASE("with hold_intervals 0 the rate grows right after a back-off")
  {
    AdaptiveRateOptions options;
    options.start_rate = 8000.0;
    options.step = 1000.0;
    options.hold_intervals = 0;
    AdaptiveRate rate(options);
    rate.update(slow_writes());
    CHECK(rate.rate() == 4000.0);
    rate.update(k_healthy);
    CHECK(rate.rate() == 5000.0);
  }

  TEST_CASE("strains are judged in the order evictions, memory, latency, probe")
  {
    AdaptiveRateOptions options;
    options.start_rate = 100'000.0;
    options.min_rate = 1.0;
    AdaptiveRate rate(options);
    rate.set_baseline(100us); // probe limit 200 us

    HealthSample all;
    all.evicted = 3;
    all.memory_fraction = 0.95;
    all.write_latency = 10ms;
    all.probe_latency = 1ms;

    HealthSample sample = all;
    CHECK(rate.update(sample) == Strain::evictions);
    sample.evicted = 0;
    CHECK(rate.update(sample) == Strain::memory);
    sample.memory_fraction.reset();
    CHECK(rate.update(sample) == Strain::latency);
    sample.write_latency.reset();
    CHECK(rate.update(sample) == Strain::probe);
    sample.probe_latency.reset();
    CHECK(rate.update(sample) == Strain::none);

    // Each on its own, too.
    HealthSample memory_only;
    memory_only.memory_fraction = 0.95;
    CHECK(rate.update(memory_only) == Strain::memory);
    HealthSample evictions_only;
    evictions_only.evicted = 1;
    CHECK(rate.update(evictions_only) == Strain::evictions);
    CHECK(rate.update(with_probe(1ms)) == Strain::probe);

    // One reason per interval: the interval with all four counts only as evictions.
    CHECK(rate.count(Strain::evictions) == 2);
    CHECK(rate.count(Strain::memory) == 2);
    CHECK(rate.count(Strain::latency) == 1);
    CHECK(rate.count(Strain::probe) == 2);
    CHECK(rate.count(Strain::none) == 1);
    // Seven back-offs by 0.5 from 100000 (the healthy interval only held).
    CHECK(rate.rate() == 100'000.0 / 128.0);
  }

  TEST_CASE("memory exactly at max_memory is not strain, above it is")
  {
    AdaptiveRateOptions options;
    options.max_memory = 0.9;
    AdaptiveRate rate(options);
    CHECK(rate.update(with_memory(0.9)) == Strain::none);
    CHECK(rate.update(with_memory(0.5)) == Strain::none);
    CHECK(rate.update(with_memory(0.0)) == Strain::none);
    CHECK(rate.update(with_memory(0.9000001)) == Strain::memory);
    CHECK(rate.update(with_memory(1.2)) == Strain::memory);
    CHECK(rate.count(Strain::memory) == 2);
    CHECK(rate.count(Strain::none) == 3);
  }

  TEST_CASE("write latency exactly max_latency is not strain, a nanosecond more is")
  {
    AdaptiveRateOptions options;
    options.max_latency = 5ms;
    AdaptiveRate rate(options);
    CHECK(rate.update(with_write_latency(5ms)) == Strain::none);
    CHECK(rate.update(with_write_latency(0ns)) == Strain::none);
    CHECK(rate.update(with_write_latency(5ms + 1ns)) == Strain::latency);
    CHECK(rate.count(Strain::latency) == 1);
  }

  TEST_CASE("evictions count as strain from one key")
  {
    AdaptiveRate rate{AdaptiveRateOptions{}};
    HealthSample sample;
    sample.evicted = 0;
    CHECK(rate.update(sample) == Strain::none);
    sample.evicted = 1;
    CHECK(rate.update(sample) == Strain::evictions);
  }

  TEST_CASE("probes are not judged without a baseline")
  {
    AdaptiveRate rate{AdaptiveRateOptions{}};
    CHECK_FALSE(rate.probe_limit().has_value());
    CHECK(rate.update(with_probe(1s)) == Strain::none);
    CHECK(rate.count(Strain::probe) == 0);
    CHECK(rate.rate() == 7000.0);
  }

  TEST_CASE("set_baseline sets the probe limit to max(probe_factor x idle, probe_floor)")
  {
    AdaptiveRateOptions options;
    options.probe_factor = 2.0;
    options.probe_floor = 100us;
    AdaptiveRate rate(options);

    rate.set_baseline(300us);
    REQUIRE(rate.probe_limit().has_value());
    CHECK(*rate.probe_limit() == 600us);

    rate.set_baseline(20us); // 40 us is under the floor
    CHECK(*rate.probe_limit() == 100us);

    rate.set_baseline(50us); // exactly the floor
    CHECK(*rate.probe_limit() == 100us);

    rate.set_baseline(0ns);
    CHECK(*rate.probe_limit() == 100us);

    options.probe_factor = 1.5;
    AdaptiveRate other(options);
    other.set_baseline(1ms);
    CHECK(*other.probe_limit() == 1500us);
  }

  TEST_CASE("a probe exactly at the limit is not strain, above it is")
  {
    AdaptiveRateOptions options;
    options.probe_factor = 2.0;
    options.probe_floor = 100us;
    AdaptiveRate rate(options);
    rate.set_baseline(300us);
    CHECK(rate.update(with_probe(600us)) == Strain::none);
    CHECK(rate.update(with_probe(600us + 1ns)) == Strain::probe);
    CHECK(rate.update(with_probe(10us)) == Strain::none);
    CHECK(rate.count(Strain::probe) == 1);
  }

  TEST_CASE("lowest and highest track the extremes of the rate")
  {
    AdaptiveRateOptions options;
    options.start_rate = 5000.0;
    options.step = 2000.0;
    options.hold_intervals = 0;
    AdaptiveRate rate(options);
    rate.update(k_healthy); // 7000
    rate.update(k_healthy); // 9000
    CHECK(rate.lowest() == 5000.0);
    CHECK(rate.highest() == 9000.0);
    rate.update(slow_writes()); // 4500
    CHECK(rate.lowest() == 4500.0);
    CHECK(rate.highest() == 9000.0);
    rate.update(slow_writes()); // 2250
    for (int i = 0; i < 10; ++i) {
      rate.update(k_healthy); // up to 22250
    }
    CHECK(rate.rate() == 22'250.0);
    CHECK(rate.lowest() == 2250.0);
    CHECK(rate.highest() == 22'250.0);
    rate.update(slow_writes()); // 11125
    CHECK(rate.rate() == 11'125.0);
    CHECK(rate.lowest() == 2250.0);
    CHECK(rate.highest() == 22'250.0);
  }

  TEST_CASE("to_string names every strain")
  {
    CHECK(to_string(Strain::none) == std::string_view("none"));
    CHECK(to_string(Strain::latency) == std::string_view("latency"));
    CHECK(to_string(Strain::probe) == std::string_view("probe"));
    CHECK(to_string(Strain::memory) == std::string_view("memory"));
    CHECK(to_string(Strain::evictions) == std::string_view("evictions"));
    CHECK(cachewarm::core::k_strain_kinds == 5);
  }

  TEST_CASE("the rate converges to a sawtooth under the target's capacity")
  {
    // A simulated target: its probe PINGs stay at the idle 100 us while it is written below its
    // capacity, and slow to 1 ms above it. Each interval's sample is what the target shows at the
    // rate used during that interval.
    constexpr double k_capacity = 30'000.0;
    AdaptiveRateOptions options; // start 5000, step 2000, backoff 0.5, hold 2, min 500
    AdaptiveRate rate(options);
    rate.set_baseline(100us); // probe limit 200 us
    std::vector<double> rates;
    std::vector<Strain> strains;
    for (int i = 0; i < 200; ++i) {
      rates.push_back(rate.rate());
      strains.push_back(rate.update(with_probe(rate.rate() > k_capacity ? 1ms : 100us)));
    }
    // Additive increase from 5000 reaches 31000 (over capacity) at interval 13, then halves.
    CHECK(rates[12] == 29'000.0);
    CHECK(rates[13] == 31'000.0);
    CHECK(strains[13] == Strain::probe);
    CHECK(rates[14] == 15'500.0);

    const std::vector<double> last(rates.begin() + 100, rates.end());
    const double low = *std::min_element(last.begin(), last.end());
    const double high = *std::max_element(last.begin(), last.end());
    CAPTURE(low);
    CAPTURE(high);
    CHECK(low >= k_capacity * options.backoff - options.step);
    CHECK(high <= k_capacity + options.step);
    // It is a sawtooth, not a standstill: it keeps probing above capacity and backing off, once
    // every 11 intervals or so (8 steps up, the back-off, 2 held).
    const auto backoffs = std::count(strains.begin() + 100, strains.end(), Strain::probe);
    CHECK(backoffs >= 8);
    CHECK(backoffs <= 10);
    CHECK(rate.count(Strain::none) + rate.count(Strain::probe) == 200);
    double sum = 0.0;
    for (const double r : last) {
      sum += r;
    }
    const double average = sum / static_cast<double>(last.size());
    CAPTURE(average);
    CHECK(average >= 0.6 * k_capacity);
    CHECK(average <= k_capacity);
    // Never twice in a row above capacity.
    for (std::size_t i = 1; i < rates.size(); ++i) {
      CHECK_FALSE((rates[i - 1] > k_capacity && rates[i] > k_capacity));
    }
  }
}
