#include "cachewarm/exec/bounded_queue.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using cachewarm::exec::BoundedQueue;

namespace {

// Waits up to `limit` for `flag` to become true; a short bounded wait used only to observe that
// a thread is *still* blocked (a false result never depends on timing for correctness).
bool
becomes_true_within(const std::atomic<bool>& flag, std::chrono::milliseconds limit)
{
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (flag.load()) {
      return true;
    }
    std::this_thread::yield();
  }
  return flag.load();
}

} // namespace

TEST_SUITE("exec::bounded_queue")
{
  TEST_CASE("items come out in FIFO order")
  {
    BoundedQueue<int> queue(4);
    CHECK(queue.push(1));
    CHECK(queue.push(2));
    CHECK(queue.push(3));
    CHECK(queue.pop() == std::optional<int>{1});
    CHECK(queue.push(4));
    CHECK(queue.pop() == std::optional<int>{2});
    CHECK(queue.pop() == std::optional<int>{3});
    CHECK(queue.pop() == std::optional<int>{4});
  }

  TEST_CASE("a queue fills up to its capacity without blocking")
  {
    BoundedQueue<int> queue(3);
    CHECK(queue.push(1));
    CHECK(queue.push(2));
    CHECK(queue.push(3));
    queue.close();
    CHECK(queue.pop() == std::optional<int>{1});
  }

  TEST_CASE("move-only items pass through")
  {
    BoundedQueue<std::unique_ptr<std::string>> queue(2);
    CHECK(queue.push(std::make_unique<std::string>("payload")));
    std::optional<std::unique_ptr<std::string>> item = queue.pop();
    REQUIRE(item.has_value());
    REQUIRE(*item != nullptr);
    CHECK(**item == "payload");
  }

  TEST_CASE("close lets consumers drain what is left, then pop gives nullopt")
  {
    BoundedQueue<int> queue(4);
    CHECK(queue.push(1));
    CHECK(queue.push(2));
    queue.close();
    CHECK(queue.pop() == std::optional<int>{1});
    CHECK(queue.pop() == std::optional<int>{2});
    CHECK(queue.pop() == std::nullopt);
    CHECK(queue.pop() == std::nullopt);
  }

  TEST_CASE("push after close returns false and drops the item")
  {
    BoundedQueue<int> queue(4);
    CHECK(queue.push(1));
    queue.close();
    CHECK_FALSE(queue.push(2));
    CHECK(queue.pop() == std::optional<int>{1});
    CHECK(queue.pop() == std::nullopt);
  }

  TEST_CASE("closing twice is harmless")
  {
    BoundedQueue<int> queue(1);
    queue.close();
    queue.close();
    CHECK(queue.pop() == std::nullopt);
  }

  TEST_CASE("a capacity of 0 holds one item")
  {
    BoundedQueue<int> queue(0);
    CHECK(queue.push(7));
    std::atomic<bool> pushed{false};
    std::latch started(1);
    std::thread producer([&] {
      started.count_down();
      CHECK(queue.push(8));
      pushed = true;
    });
    started.wait();
    CHECK_FALSE(becomes_true_within(pushed, 20ms));
    CHECK(queue.pop() == std::optional<int>{7});
    producer.join();
    CHECK(pushed.load());
    CHECK(queue.pop() == std::optional<int>{8});
  }

  TEST_CASE("a producer blocks while the queue is full until a consumer pops")
  {
    BoundedQueue<int> queue(2);
    CHECK(queue.push(1));
    CHECK(queue.push(2));
    std::atomic<bool> pushed{false};
    std::latch started(1);
    std::thread producer([&] {
      started.count_down();
      const bool accepted = queue.push(3);
      pushed = true;
      CHECK(accepted);
    });
    started.wait();
    CHECK_FALSE(becomes_true_within(pushed, 20ms));
    CHECK(queue.pop() == std::optional<int>{1});
    producer.join(); // returns only once the blocked push went through
    CHECK(pushed.load());
    CHECK(queue.pop() == std::optional<int>{2});
    CHECK(queue.pop() == std::optional<int>{3});
  }

  TEST_CASE("close wakes a blocked producer, whose push returns false")
  {
    BoundedQueue<int> queue(1);
    CHECK(queue.push(1));
    std::atomic<bool> returned{false};
    std::atomic<bool> accepted{true};
    std::latch started(1);
    std::thread producer([&] {
      started.count_down();
      accepted = queue.push(2);
      returned = true;
    });
    started.wait();
    CHECK_FALSE(becomes_true_within(returned, 20ms));
    queue.close();
    producer.join();
    CHECK_FALSE(accepted.load());
    CHECK(queue.pop() == std::optional<int>{1});
    CHECK(queue.pop() == std::nullopt);
  }

  TEST_CASE("a consumer blocks on an empty queue until an item arrives")
  {
    BoundedQueue<int> queue(1);
    std::atomic<bool> returned{false};
    std::optional<int> received;
    std::latch started(1);
    std::thread consumer([&] {
      started.count_down();
      received = queue.pop();
      returned = true;
    });
    started.wait();
    CHECK_FALSE(becomes_true_within(returned, 20ms));
    CHECK(queue.push(42));
    consumer.join();
    CHECK(received == std::optional<int>{42});
  }

  TEST_CASE("close wakes a blocked consumer with nullopt")
  {
    BoundedQueue<int> queue(1);
    std::optional<int> received = -1;
    std::latch started(1);
    std::thread consumer([&] {
      started.count_down();
      received = queue.pop();
    });
    started.wait();
    queue.close();
    consumer.join();
    CHECK(received == std::nullopt);
  }

  TEST_CASE("many producers and consumers deliver every item exactly once")
  {
    constexpr int k_producers = 4;
    constexpr int k_consumers = 3;
    constexpr int k_per_producer = 2000;
    constexpr int k_total = k_producers * k_per_producer;
    BoundedQueue<int> queue(8);
    std::vector<std::atomic<int>> seen(static_cast<std::size_t>(k_total));
    std::atomic<std::int64_t> sum{0};
    std::atomic<int> count{0};
    // Per-producer order must survive: each consumer sees a producer's items increasing.
    std::atomic<bool> reordered{false};
    std::latch go(k_producers + k_consumers);

    std::vector<std::thread> consumers;
    for (int c = 0; c < k_consumers; ++c) {
      consumers.emplace_back([&] {
        std::vector<int> last(k_producers, -1);
        go.arrive_and_wait();
        while (std::optional<int> item = queue.pop()) {
          const int value = *item;
          seen[static_cast<std::size_t>(value)].fetch_add(1);
          sum += value;
          ++count;
          const auto producer = static_cast<std::size_t>(value / k_per_producer);
          if (value <= last[producer]) {
            reordered = true;
          }
          last[producer] = value;
        }
      });
    }
    std::vector<std::thread> producers;
    std::atomic<int> rejected{0};
    for (int p = 0; p < k_producers; ++p) {
      producers.emplace_back([&, p] {
        go.arrive_and_wait();
        for (int i = 0; i < k_per_producer; ++i) {
          if (!queue.push(p * k_per_producer + i)) {
            ++rejected;
          }
        }
      });
    }
    for (std::thread& producer : producers) {
      producer.join();
    }
    queue.close();
    for (std::thread& consumer : consumers) {
      consumer.join();
    }

    CHECK(rejected.load() == 0);
    CHECK(count.load() == k_total);
    CHECK(sum.load() == std::int64_t{k_total} * (k_total - 1) / 2);
    int missing_or_duplicated = 0;
    for (const std::atomic<int>& times : seen) {
      if (times.load() != 1) {
        ++missing_or_duplicated;
      }
    }
    CHECK(missing_or_duplicated == 0);
    CHECK_FALSE(reordered.load());
  }
}
