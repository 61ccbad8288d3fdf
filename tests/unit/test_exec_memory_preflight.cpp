#include "cachewarm/exec/memory_preflight.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using cachewarm::core::Entry;
using cachewarm::exec::judge_memory;
using cachewarm::exec::MemoryCheck;
using cachewarm::exec::MemoryJudgement;
using namespace std::chrono_literals;

namespace {

MemoryCheck
check_of(std::uint64_t used, std::uint64_t max, std::uint64_t rows, std::string policy)
{
  MemoryCheck check;
  cachewarm::sinks::TargetStats stats;
  stats.used_memory = used;
  stats.maxmemory = max;
  stats.maxmemory_policy = std::move(policy);
  check.limited.push_back(MemoryCheck::Limited{"main", stats});
  check.rows = rows;
  return check;
}

std::vector<Entry>
sample(std::size_t n)
{
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < n; ++i) {
    entries.push_back(Entry{"k" + std::to_string(i), std::string("v"), 0ms, false});
  }
  return entries;
}

// Every entry costs 1000 bytes: the estimator is the caller's, not the sink's calibration.
std::uint64_t
thousand(const Entry& /*entry*/)
{
  return 1000;
}

} // namespace

TEST_SUITE("exec::memory_preflight")
{
  TEST_CASE("the estimate scales the sample per row with the injected estimator")
  {
    const MemoryCheck check = check_of(0, 1'000'000'000, 10'000, "noeviction");
    const MemoryJudgement judged = judge_memory(check, sample(10), 10, std::nullopt, "g", thousand);
    REQUIRE(judged.estimated_bytes.has_value());
    CHECK(*judged.estimated_bytes == 10'000'000);
    CHECK(judged.keys == 10'000);
    CHECK_FALSE(judged.cut.has_value());
  }

  TEST_CASE("collections: keys per row come from the sample (4 rows made 1 key)")
  {
    const MemoryCheck check = check_of(0, 1'000'000'000, 400, "noeviction");
    const MemoryJudgement judged = judge_memory(check, sample(1), 4, std::nullopt, "g", thousand);
    CHECK(judged.keys == 100);
    CHECK(*judged.estimated_bytes == 100'000);
  }

  TEST_CASE("over --max-memory-use the group is cut, naming target, share and limit")
  {
    // 50 MB used + 10'000 x 1000 bytes = 60 MB of 64 MB: 94%, over a 90% limit.
    const MemoryCheck check = check_of(50'000'000, 64'000'000, 10'000, "allkeys-lru");
    const MemoryJudgement judged = judge_memory(check, sample(10), 10, 0.9, "g", thousand);
    REQUIRE(judged.cut.has_value());
    CHECK(*judged.cut
          == "cut: about 10.0 MB for 10000 keys would take target main from 50.0 MB to 94% of "
             "its maxmemory 64.0 MB (over --max-memory-use 90%)");
  }

  TEST_CASE("under the limit, or without one, nothing is cut")
  {
    const MemoryCheck check = check_of(50'000'000, 64'000'000, 10'000, "noeviction");
    CHECK_FALSE(judge_memory(check, sample(10), 10, 0.95, "g", thousand).cut.has_value());
    CHECK_FALSE(judge_memory(check, sample(10), 10, std::nullopt, "g", thousand).cut.has_value());
  }

  TEST_CASE("no limited target, no row count or no sample: no estimate")
  {
    MemoryCheck unlimited;
    unlimited.rows = 10;
    CHECK_FALSE(judge_memory(unlimited, sample(1), 1, 0.5, "g", thousand).estimated_bytes);
    MemoryCheck uncounted = check_of(0, 100, 0, "noeviction");
    uncounted.rows.reset();
    CHECK_FALSE(judge_memory(uncounted, sample(1), 1, 0.5, "g", thousand).estimated_bytes);
    const MemoryCheck counted = check_of(0, 100, 10, "noeviction");
    CHECK_FALSE(judge_memory(counted, {}, 0, 0.5, "g", thousand).estimated_bytes);
  }
}
