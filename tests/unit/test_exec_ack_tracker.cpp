#include "cachewarm/exec/ack_tracker.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using cachewarm::exec::AckTracker;

TEST_SUITE("exec::ack_tracker")
{
  TEST_CASE("the acknowledged prefix only grows when its oldest batch is fully acknowledged")
  {
    std::vector<std::uint64_t> advances;
    AckTracker acks(0, [&](std::uint64_t rows) { advances.push_back(rows); });
    acks.add(0, 100, 2); // two targets
    acks.add(1, 200, 2);
    acks.ack(1);
    acks.ack(1); // batch 1 complete, batch 0 not: no advance
    CHECK(advances.empty());
    CHECK(acks.rows_done() == 0);
    acks.ack(0);
    CHECK(advances.empty());
    acks.ack(0); // both complete at once: one advance to the end of batch 1
    CHECK(advances == std::vector<std::uint64_t>{200});
    CHECK(acks.rows_done() == 200);
    CHECK(acks.complete());
  }

  TEST_CASE("a batch with nothing to write completes when added")
  {
    std::vector<std::uint64_t> advances;
    AckTracker acks(50, [&](std::uint64_t rows) { advances.push_back(rows); });
    CHECK(acks.rows_done() == 50);
    acks.add(0, 80, 0);
    CHECK(advances == std::vector<std::uint64_t>{80});
    acks.add(1, 90, 1);
    CHECK_FALSE(acks.complete());
    acks.ack(1);
    CHECK(acks.complete());
    CHECK(advances == std::vector<std::uint64_t>{80, 90});
  }

  TEST_CASE("an unacknowledged batch holds back every later one")
  {
    AckTracker acks(0, {});
    acks.add(0, 10, 1);
    acks.add(1, 20, 1);
    acks.add(2, 30, 1);
    acks.ack(2);
    acks.ack(1);
    CHECK(acks.rows_done() == 0);
    CHECK_FALSE(acks.complete());
  }
}
