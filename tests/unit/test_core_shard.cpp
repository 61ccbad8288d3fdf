#include "support/results.hpp"

#include "cachewarm/core/shard.hpp"

#include <doctest/doctest.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>

using cachewarm::core::Errc;
using cachewarm::core::parse_shard;
using cachewarm::core::Shard;
using cachewarm::core::shard_path;
using cachewarm::test::error_message;
using cachewarm::test::require_ok;

namespace {

// An environment holding only `vars`.
auto
env(std::map<std::string, std::string, std::less<>> vars)
{
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    const auto found = vars.find(name);
    return found == vars.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
}

} // namespace

TEST_SUITE("core::shard")
{
  TEST_CASE("I/N parses into index and count")
  {
    CHECK(require_ok(parse_shard("0/1", env({}))) == Shard{0, 1});
    CHECK(require_ok(parse_shard("3/4", env({}))) == Shard{3, 4});
    CHECK(require_ok(parse_shard("0/65536", env({}))) == Shard{0, 65536});
  }

  TEST_CASE("auto/N takes the index from JOB_COMPLETION_INDEX")
  {
    CHECK(require_ok(parse_shard("auto/4", env({{"JOB_COMPLETION_INDEX", "2"}}))) == Shard{2, 4});
    CHECK(error_message(parse_shard("auto/4", env({})), Errc::usage)
          == "--shard: auto needs JOB_COMPLETION_INDEX (set by Kubernetes Indexed Jobs), which "
             "is not set");
    CHECK(error_message(parse_shard("auto/4", env({{"JOB_COMPLETION_INDEX", "x1"}})), Errc::usage)
          == "--shard: JOB_COMPLETION_INDEX is not a number: \"x1\"");
    CHECK(error_message(parse_shard("auto/4", env({{"JOB_COMPLETION_INDEX", "4"}})), Errc::usage)
          == "--shard: INDEX 4 is out of range 0..3 for 4 shards");
  }

  TEST_CASE("malformed shards are usage errors saying what was expected")
  {
    CHECK(error_message(parse_shard("2", env({})), Errc::usage)
          == "--shard: expected INDEX/COUNT or auto/COUNT (e.g. 0/4), got \"2\"");
    CHECK(error_message(parse_shard("1/0", env({})), Errc::usage)
          == "--shard: COUNT must be a number from 1 to 65536, got \"0\"");
    CHECK(error_message(parse_shard("0/65537", env({})), Errc::usage)
          == "--shard: COUNT must be a number from 1 to 65536, got \"65537\"");
    CHECK(error_message(parse_shard("x/4", env({})), Errc::usage)
          == "--shard: INDEX must be a number or auto, got \"x\"");
    CHECK(error_message(parse_shard("-1/4", env({})), Errc::usage)
          == "--shard: INDEX must be a number or auto, got \"-1\"");
    CHECK(error_message(parse_shard("4/4", env({})), Errc::usage)
          == "--shard: INDEX 4 is out of range 0..3 for 4 shards");
  }

  TEST_CASE("a key's shard depends on its bytes only, and keys spread evenly")
  {
    // Pinned values (computed independently): a change of the hash would move keys between the
    // shards of fleets that run different versions.
    CHECK(Shard::shard_of("product:1", 4) == 2);
    CHECK(Shard::shard_of("product:2", 4) == 1);
    CHECK(Shard::shard_of("page:home", 4) == 0);
    CHECK(Shard::shard_of("product:1", 1000) == 98);
    CHECK(Shard::shard_of("user:42", 1000) == 112);
    CHECK(Shard::shard_of("", 1) == 0);
    CHECK(Shard::shard_of("anything", 1) == 0);
    std::array<int, 4> counts{};
    for (int i = 0; i < 40000; ++i) {
      ++counts[Shard::shard_of("product:" + std::to_string(i), 4)];
    }
    for (const int count : counts) {
      CHECK(count > 9500);
      CHECK(count < 10500);
    }
    const std::string binary("a\0b", 3);
    CHECK(Shard::shard_of(binary, 1000) != Shard::shard_of("a", 1000));
  }

  TEST_CASE("every key belongs to exactly one shard")
  {
    for (int i = 0; i < 1000; ++i) {
      const std::string key = "k" + std::to_string(i);
      int owners = 0;
      for (std::uint32_t index = 0; index < 7; ++index) {
        owners += Shard{index, 7}.owns(key) ? 1 : 0;
      }
      CHECK(owners == 1);
    }
  }

  TEST_CASE("per-shard file names insert the shard before the extension")
  {
    const Shard shard{1, 4};
    CHECK(shard_path("state.json", shard) == "state.shard-1-of-4.json");
    CHECK(shard_path("/var/lib/cw/state", shard) == "/var/lib/cw/state.shard-1-of-4");
    CHECK(shard_path("/var/lib/cw.d/state", shard) == "/var/lib/cw.d/state.shard-1-of-4");
    CHECK(shard_path(".state", shard) == ".state.shard-1-of-4");
    CHECK(shard_path("/tmp/cachewarm-m-0011aabb.lock", shard)
          == "/tmp/cachewarm-m-0011aabb.shard-1-of-4.lock");
    CHECK(shard.label() == "1/4");
  }
}
