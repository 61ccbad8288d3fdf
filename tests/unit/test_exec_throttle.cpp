#include "cachewarm/core/clock.hpp"
#include "cachewarm/core/rate_limiter.hpp"
#include "cachewarm/exec/throttle.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/sinks/sink.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using cachewarm::core::RateLimiter;
using cachewarm::core::Result;
using cachewarm::core::SteadyClock;
using cachewarm::exec::Throttle;
using cachewarm::exec::ThrottleTiming;
using cachewarm::manifest::ThrottleSpec;
using cachewarm::sinks::HealthProbe;
using cachewarm::sinks::Sink;
using cachewarm::sinks::SinkConnection;
using cachewarm::sinks::TargetStats;

namespace {

// What the fake target answers, changed by the test while the throttle runs.
struct FakeTarget {
  std::atomic<std::int64_t> ping_us{100};
  std::atomic<std::uint64_t> used_memory{0};
  std::atomic<std::uint64_t> maxmemory{0};
  std::atomic<std::uint64_t> evicted{0};
  std::atomic<int> pings{0};
  std::atomic<bool> probe_fails{false};
};

class FakeProbe final : public HealthProbe {
public:
  explicit FakeProbe(FakeTarget& target)
      : m_target(target)
  {}
  Result<std::chrono::nanoseconds> ping() override
  {
    if (m_target.probe_fails) {
      return cachewarm::core::fail(cachewarm::core::Errc::target_unreachable, "probe lost");
    }
    ++m_target.pings;
    return std::chrono::microseconds(m_target.ping_us.load());
  }
  Result<TargetStats> stats() override
  {
    TargetStats stats;
    stats.used_memory = m_target.used_memory;
    stats.maxmemory = m_target.maxmemory;
    stats.evicted_keys = m_target.evicted;
    return stats;
  }

private:
  FakeTarget& m_target;
};

class FakeSink final : public Sink {
public:
  explicit FakeSink(FakeTarget& target, bool has_probe = true)
      : m_target(target)
      , m_has_probe(has_probe)
  {}
  const std::string& name() const override { return m_name; }
  std::string describe() const override { return "fake"; }
  Result<std::unique_ptr<SinkConnection>> connect() override
  {
    return cachewarm::core::fail(cachewarm::core::Errc::internal, "not used");
  }
  Result<std::unique_ptr<HealthProbe>> probe() override
  {
    if (!m_has_probe) {
      return std::unique_ptr<HealthProbe>();
    }
    return std::make_unique<FakeProbe>(m_target);
  }

private:
  FakeTarget& m_target;
  bool m_has_probe;
  std::string m_name = "fake";
};

// Short timings so a test takes a fraction of a second.
ThrottleTiming
fast()
{
  ThrottleTiming timing;
  timing.probe_every = 1ms;
  timing.interval = 20ms;
  timing.baseline_pings = 10;
  timing.baseline_gap = 0ms;
  timing.rebaseline_every = 150ms;
  timing.pause = 40ms;
  timing.settle = 10ms;
  return timing;
}

// Waits (at most 5 s) until `done` holds.
template <typename Predicate>
bool
eventually(Predicate done)
{
  for (int i = 0; i < 500; ++i) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

} // namespace

TEST_SUITE("exec::throttle")
{
  TEST_CASE("the idle baseline sets the probe limit and the limiter starts at the start rate")
  {
    FakeTarget target;
    target.ping_us = 200;
    FakeSink sink(target);
    const SteadyClock clock;
    RateLimiter limiter(0.0, clock);
    Throttle throttle(sink, ThrottleSpec{}, 0.0, limiter, fast());
    CHECK(limiter.per_second() == doctest::Approx(5000.0));
    CHECK(eventually([&] { return target.pings.load() > 40; }));
    const auto report = throttle.finish();
    CHECK(report.probe_idle_ms == doctest::Approx(0.2).epsilon(0.05));
    CHECK(report.probe_limit_ms == doctest::Approx(0.4).epsilon(0.05));
    CHECK(report.intervals >= 1);
    CHECK(report.backoffs_probe == 0);
    CHECK(report.max_rate > 5000.0); // healthy intervals sped it up
  }

  TEST_CASE("a numeric rate is the ceiling, min_rate the floor")
  {
    FakeTarget target;
    FakeSink sink(target);
    const SteadyClock clock;
    RateLimiter limiter(3000.0, clock);
    ThrottleSpec spec;
    spec.min_rate.per_second = 1000.0;
    // No re-baselining here: on a loaded machine one could take the strained pings as the new
    // idle latency between the two back-offs this case waits for.
    ThrottleTiming timing = fast();
    timing.rebaseline_every = 60s;
    Throttle throttle(sink, spec, 3000.0, limiter, timing);
    CHECK(limiter.per_second() == doctest::Approx(3000.0));
    std::this_thread::sleep_for(100ms);
    target.ping_us = 5000; // strained from now on
    CHECK(eventually([&] { return limiter.per_second() <= 1000.0; }));
    const auto report = throttle.finish();
    CHECK(report.max_rate == doctest::Approx(3000.0));
    CHECK(report.min_rate == doctest::Approx(1000.0));
    CHECK(report.backoffs_probe >= 2);
  }

  TEST_CASE("evictions and memory past max_memory back off")
  {
    FakeTarget target;
    target.maxmemory = 1000;
    target.used_memory = 100;
    FakeSink sink(target);
    const SteadyClock clock;
    RateLimiter limiter(0.0, clock);
    Throttle throttle(sink, ThrottleSpec{}, 0.0, limiter, fast());
    target.evicted = 5;
    CHECK(eventually([&] { return limiter.per_second() < 5000.0; }));
    target.used_memory = 950; // past 90 %
    std::this_thread::sleep_for(100ms);
    const auto report = throttle.finish();
    CHECK(report.backoffs_evictions == 1); // evicted_keys grew once
    CHECK(report.backoffs_memory >= 2);
  }

  TEST_CASE("slow writes back off")
  {
    FakeTarget target;
    FakeSink sink(target);
    const SteadyClock clock;
    RateLimiter limiter(0.0, clock);
    ThrottleSpec spec;
    spec.max_latency = 5ms;
    Throttle throttle(sink, spec, 0.0, limiter, fast());
    for (int i = 0; i < 20; ++i) {
      throttle.record_write(20ms);
      std::this_thread::sleep_for(5ms);
    }
    const auto report = throttle.finish();
    CHECK(report.backoffs_latency >= 1);
  }

  TEST_CASE("a server that got busier is re-baselined: the writer pauses, the limit follows")
  {
    FakeTarget target;
    target.ping_us = 100;
    FakeSink sink(target);
    const SteadyClock clock;
    RateLimiter limiter(0.0, clock);
    Throttle throttle(sink, ThrottleSpec{}, 0.0, limiter, fast());
    target.ping_us = 1000; // live traffic grew: 10x the idle latency, whatever we write
    // Probe strain, then a pause (writers wait in wait_if_paused), then a new baseline.
    bool saw_pause = false;
    CHECK(eventually([&] {
      const auto started = std::chrono::steady_clock::now();
      throttle.wait_if_paused();
      saw_pause = saw_pause || std::chrono::steady_clock::now() - started >= 5ms;
      return saw_pause;
    }));
    std::this_thread::sleep_for(100ms);
    const auto report = throttle.finish();
    CHECK(report.rebaselines >= 1);
    CHECK(report.probe_idle_ms == doctest::Approx(1.0).epsilon(0.05));
    CHECK(report.probe_limit_ms == doctest::Approx(2.0).epsilon(0.05));
    CHECK(report.backoffs_probe >= 1);
  }

  TEST_CASE("without strain from the probe there is no pause")
  {
    FakeTarget target;
    FakeSink sink(target);
    const SteadyClock clock;
    RateLimiter limiter(0.0, clock);
    Throttle throttle(sink, ThrottleSpec{}, 0.0, limiter, fast());
    std::this_thread::sleep_for(400ms); // more than two re-baseline periods
    const auto report = throttle.finish();
    // The probe thread really watched and judged, or "no pause" would prove nothing: the
    // constructor's baseline PINGs alone are fast().baseline_pings.
    CHECK(target.pings > fast().baseline_pings + 10);
    CHECK(report.intervals >= 2);
    CHECK(report.probe_ms.p50 > 0.0); // PINGs recorded while watching, not only the baseline
    CHECK(report.rebaselines == 0);
    CHECK(report.backoffs_probe == 0);
  }

  TEST_CASE("without a probe (a dry run) only writes are judged")
  {
    FakeTarget target;
    FakeSink sink(target, false);
    const SteadyClock clock;
    RateLimiter limiter(0.0, clock);
    Throttle throttle(sink, ThrottleSpec{}, 0.0, limiter, fast());
    std::this_thread::sleep_for(60ms);
    const auto report = throttle.finish();
    CHECK(target.pings == 0);
    CHECK(report.probe_idle_ms == 0.0);
    CHECK(report.probe_limit_ms == 0.0);
    CHECK(report.intervals >= 1);
  }

  TEST_CASE("a probe that fails is dropped: the throttle goes on with writes alone")
  {
    FakeTarget target;
    FakeSink sink(target);
    const SteadyClock clock;
    RateLimiter limiter(0.0, clock);
    Throttle throttle(sink, ThrottleSpec{}, 0.0, limiter, fast());
    target.probe_fails = true;
    std::this_thread::sleep_for(60ms);
    const int pings = target.pings;
    target.probe_fails = false;
    std::this_thread::sleep_for(60ms);
    CHECK(target.pings == pings); // never asked again
    throttle.record_write(50ms);
    std::this_thread::sleep_for(60ms);
    const auto report = throttle.finish();
    CHECK(report.backoffs_latency >= 1);
  }
}
