#include "cachewarm/exec/runner.hpp"
#include "cachewarm/exec/target_lane.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

using cachewarm::core::Entry;
using cachewarm::core::Errc;
using cachewarm::core::Result;
using cachewarm::exec::AckTracker;
using cachewarm::exec::Batch;
using cachewarm::exec::LaneSettings;
using cachewarm::exec::RunOptions;
using cachewarm::exec::TargetLane;
using cachewarm::exec::TargetState;
using cachewarm::exec::WorkerStats;
using cachewarm::sinks::BatchResult;
using cachewarm::sinks::HealthProbe;
using cachewarm::sinks::Sink;
using cachewarm::sinks::SinkConnection;
using namespace std::chrono_literals;

namespace {

// What the fake destination holds and how it behaves; shared by its connections.
struct FakeServer {
  std::mutex mutex;
  std::set<std::string> keys;        // written
  std::size_t batches = 0;           // write() calls
  std::size_t give_up_after = 1000;  // write() calls that succeed before it stays down
  std::size_t acknowledge_first = 0; // keys of the failing call it still acknowledges
  bool fail_whole = false;           // write() fails as a whole, saying nothing of the batch
};

class FakeConnection final : public SinkConnection {
public:
  explicit FakeConnection(FakeServer& server)
      : m_server(server)
  {}

  Result<BatchResult> write(std::span<const Entry> batch) override
  {
    std::lock_guard lock(m_server.mutex);
    if (m_server.fail_whole) {
      return cachewarm::core::fail(Errc::target_unreachable, "fake: no answer at all");
    }
    BatchResult result;
    const bool down = m_server.batches++ >= m_server.give_up_after;
    const std::size_t acknowledged = down ? m_server.acknowledge_first : batch.size();
    for (std::size_t i = 0; i < acknowledged && i < batch.size(); ++i) {
      m_server.keys.insert(batch[i].key);
      ++result.written;
    }
    if (down) {
      result.stopped = cachewarm::core::Error{Errc::target_unreachable, "fake: gave up"};
    }
    return result;
  }

  Result<std::uint64_t> remove(std::span<const std::string> /*keys*/) override { return 0; }

private:
  FakeServer& m_server;
};

class FakeSink final : public Sink {
public:
  explicit FakeSink(FakeServer& server)
      : m_server(server)
  {}
  const std::string& name() const override { return m_name; }
  std::string describe() const override { return "fake"; }
  Result<std::unique_ptr<SinkConnection>> connect() override
  {
    return std::make_unique<FakeConnection>(m_server);
  }
  Result<std::unique_ptr<HealthProbe>> probe() override { return std::unique_ptr<HealthProbe>(); }

private:
  FakeServer& m_server;
  std::string m_name = "fake";
};

// `n` batches of `size` keys each, named k<batch>.<i>.
std::vector<Batch>
batches(std::size_t n, std::size_t size)
{
  std::vector<Batch> out;
  for (std::size_t b = 0; b < n; ++b) {
    auto entries = std::make_shared<std::vector<Entry>>();
    for (std::size_t i = 0; i < size; ++i) {
      entries->push_back(
          Entry{"k" + std::to_string(b) + "." + std::to_string(i), std::string("v"), 0ms, false});
    }
    out.push_back(Batch{std::move(entries), b});
  }
  return out;
}

struct LaneRun {
  WorkerStats stats;
  std::uint64_t rows_done = 0;
  bool complete = false;
  std::string unreachable;
};

// Feeds `input` (batch seq = rows_end index) through one lane of `concurrency` workers.
LaneRun
run_lane(FakeServer& server,
         const std::vector<Batch>& input,
         std::size_t concurrency,
         const RunOptions& options)
{
  TargetState target;
  target.sink = std::make_unique<FakeSink>(server);
  AckTracker acks(0, {});
  const cachewarm::core::SteadyClock clock;
  LaneRun run;
  {
    TargetLane lane(target, LaneSettings{concurrency, 0.0, std::nullopt}, clock, options, acks);
    for (const Batch& batch : input) {
      acks.add(batch.seq, (batch.seq + 1) * batch.entries->size(), 1);
      lane.push(batch);
    }
    run.stats = lane.finish();
  }
  run.rows_done = acks.rows_done();
  run.complete = acks.complete();
  run.unreachable = target.unreachable;
  return run;
}

} // namespace

TEST_SUITE("exec::target_lane")
{
  TEST_CASE("every batch is written by some worker and acknowledged")
  {
    FakeServer server;
    const LaneRun run = run_lane(server, batches(20, 5), 4, RunOptions{});
    CHECK(run.stats.written == 100);
    CHECK(run.stats.failed == 0);
    CHECK(server.keys.size() == 100);
    CHECK(run.complete);
    CHECK(run.rows_done == 100);
    CHECK(run.unreachable.empty());
  }

  TEST_CASE(
      "a target that gives up: what it acknowledged is written, the rest fails as unreachable")
  {
    FakeServer server;
    server.give_up_after = 2;     // the third batch fails ...
    server.acknowledge_first = 3; // ... after 3 of its 5 keys
    const LaneRun run = run_lane(server, batches(6, 5), 1, RunOptions{});
    CHECK(run.stats.written == 2 * 5 + 3);
    CHECK(run.stats.failed == 2 + 3 * 5); // the rest of batch 3, then batches 4 to 6 unsent
    CHECK(run.stats.written + run.stats.failed == 30);
    CHECK(server.keys.size() == 13);
    CHECK(run.stats.errors.summaries().front().kind == "target_unreachable");
    CHECK(run.stats.errors.summaries().front().count == 17);
    CHECK(run.unreachable == "fake: gave up");
    CHECK_FALSE(run.complete);
    CHECK(run.rows_done == 10); // only the two whole batches
  }

  TEST_CASE("a write that fails as a whole counts every key as unreachable")
  {
    FakeServer server;
    server.fail_whole = true;
    const LaneRun run = run_lane(server, batches(3, 4), 1, RunOptions{});
    CHECK(run.stats.written == 0);
    CHECK(run.stats.failed == 12);
    CHECK(run.unreachable == "fake: no answer at all");
    CHECK(run.rows_done == 0);
  }

  TEST_CASE("after a stop request no batch is started and nothing is counted")
  {
    FakeServer server;
    std::atomic<bool> stop{true};
    RunOptions options;
    options.stop = &stop;
    const LaneRun run = run_lane(server, batches(5, 5), 2, options);
    CHECK(run.stats.written == 0);
    CHECK(run.stats.failed == 0);
    CHECK(server.batches == 0);
    CHECK_FALSE(run.complete);
  }
}

TEST_SUITE("exec::runner")
{
  using cachewarm::exec::deadline_cut;
  using cachewarm::plan::GroupPlan;
  using cachewarm::plan::Instant;

  TEST_CASE("a group without a deadline always starts")
  {
    GroupPlan group;
    CHECK_FALSE(deadline_cut(group, Instant{}).has_value());
  }

  TEST_CASE("a passed deadline cuts the group")
  {
    GroupPlan group;
    group.deadline = Instant(std::chrono::hours(1));
    const auto cut = deadline_cut(group, Instant(std::chrono::hours(2)));
    REQUIRE(cut.has_value());
    CHECK(cut->find("cut: its deadline") == 0);
  }

  TEST_CASE("known keys at the group's rate must fit in the time left")
  {
    GroupPlan group;
    group.deadline = Instant(std::chrono::seconds(100));
    group.key_count = 1000;
    group.rate.per_second = 20.0; // 50 s of writing
    CHECK_FALSE(deadline_cut(group, Instant(std::chrono::seconds(40))).has_value());
    const auto cut = deadline_cut(group, Instant(std::chrono::seconds(60)));
    REQUIRE(cut.has_value());
    CHECK(cut->find("cut: 1000 keys at 20/s would finish after its deadline") == 0);
  }

  TEST_CASE("an unlimited rate or an unknown count never cuts before the deadline")
  {
    GroupPlan group;
    group.deadline = Instant(std::chrono::seconds(100));
    group.key_count = 1'000'000'000;
    CHECK_FALSE(deadline_cut(group, Instant(std::chrono::seconds(99))).has_value());
    group.key_count.reset();
    group.rate.per_second = 1.0;
    CHECK_FALSE(deadline_cut(group, Instant(std::chrono::seconds(99))).has_value());
  }
}
