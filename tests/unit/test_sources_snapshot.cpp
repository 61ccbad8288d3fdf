// Snapshot files: the lines cachewarm snapshot writes, read back by keys_from: {snapshot: FILE}.

#include "support/temp_files.hpp"

#include "cachewarm/core/types.hpp"
#include "cachewarm/sources/snapshot.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

using cachewarm::sources::make_restore_value;
using cachewarm::sources::open_snapshot_keys;
using cachewarm::sources::parse_snapshot_header;
using cachewarm::sources::parse_snapshot_key;
using cachewarm::sources::snapshot_header_line;
using cachewarm::sources::snapshot_key_line;
using cachewarm::sources::SnapshotHeader;
using cachewarm::sources::SnapshotKey;
using cachewarm::sources::SnapshotKeysOptions;
using cachewarm::test::TempFile;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t k_taken = 1'700'000'000'000;

std::string
header_line(bool values)
{
  SnapshotHeader header;
  header.target = "main";
  header.server = "redis://127.0.0.1:6379/0";
  header.taken_at_ms = k_taken;
  header.ranked_by = "lfu_freq";
  header.maxmemory_policy = "allkeys-lfu";
  header.keys_in_db = 10;
  header.examined = 10;
  header.values = values;
  return snapshot_header_line(header);
}

std::string
key_line(const std::string& key, std::int64_t ttl, std::optional<std::string> dump = {})
{
  SnapshotKey k;
  k.key = key;
  k.score = 7;
  k.ttl_ms = ttl;
  k.dump = std::move(dump);
  return snapshot_key_line(k, "lfu_freq");
}

struct Read {
  std::vector<cachewarm::core::Row> rows;
  std::string error;
};

Read
read_all(const std::string& path, const SnapshotKeysOptions& options)
{
  Read out;
  auto source = open_snapshot_keys(path, options);
  if (!source) {
    out.error = source.error().message;
    return out;
  }
  std::vector<cachewarm::core::Failure> failures;
  for (;;) {
    auto more = (*source)->next(2, out.rows, failures);
    if (!more) {
      out.error = more.error().message;
      return out;
    }
    if (!*more) {
      return out;
    }
  }
}

} // namespace

TEST_SUITE("sources::snapshot")
{
  TEST_CASE("the header line round-trips and says when and how the keys were ranked")
  {
    const std::string line = header_line(true);
    CHECK(line.back() == '\n');
    const nlohmann::json object = nlohmann::json::parse(line);
    CHECK(object["cachewarm_snapshot"] == 1);
    CHECK(object["taken_at"] == "2023-11-14T22:13:20.000Z");
    const auto header = parse_snapshot_header(line);
    REQUIRE(header);
    CHECK(header->target == "main");
    CHECK(header->taken_at_ms == k_taken);
    CHECK(header->ranked_by == "lfu_freq");
    CHECK(header->keys_in_db == 10);
    CHECK(header->values);
    CHECK_FALSE(header->sampled);
  }

  TEST_CASE("a key line keeps its score, TTL and a binary dump; idle_time names its score idle_s")
  {
    const std::string dump("\x00\x01\xff", 3);
    const std::string line = key_line("product:1", 3000, dump);
    const auto key = parse_snapshot_key(line, "lfu_freq");
    REQUIRE(key);
    CHECK(key->key == "product:1");
    CHECK(key->score == 7);
    CHECK(key->ttl_ms == 3000);
    CHECK(key->dump == dump);
    SnapshotKey idle{"k", 30, -1, std::nullopt};
    const std::string idle_line = snapshot_key_line(idle, "idle_time");
    CHECK(nlohmann::json::parse(idle_line)["idle_s"] == 30);
    CHECK(parse_snapshot_key(idle_line, "idle_time")->score == 30);
    CHECK_FALSE(parse_snapshot_key(idle_line, "lfu_freq")); // no "freq"
  }

  TEST_CASE("a key that is not UTF-8 is written as key_base64 and read back byte for byte")
  {
    const std::string key("bin:\xff\xfe", 6);
    const std::string line = key_line(key, -1);
    CHECK(nlohmann::json::parse(line).contains("key_base64"));
    const auto parsed = parse_snapshot_key(line, "lfu_freq");
    REQUIRE(parsed);
    CHECK(parsed->key == key);
  }

  TEST_CASE("bad key lines say what is wrong")
  {
    CHECK(parse_snapshot_key("[1]", "lfu_freq").error().message == "not a JSON object");
    CHECK(parse_snapshot_key(R"({"freq":1,"ttl_ms":-1})", "lfu_freq").error().message
          == "no \"key\" (a string)");
    CHECK(parse_snapshot_key(R"({"key":"k","freq":1})", "lfu_freq").error().message
          == "no \"ttl_ms\" (an integer)");
    CHECK(parse_snapshot_key(R"({"key":"k","freq":1,"ttl_ms":-1,"dump":"%%"})", "lfu_freq")
              .error()
              .message
          == "\"dump\" is not base64");
    CHECK(parse_snapshot_header(R"({"key":"k"})")
              .error()
              .message.starts_with("not a cachewarm snapshot"));
  }

  TEST_CASE("keys are read in file order with their TTL; without restore the dump stays NULL")
  {
    const TempFile file(header_line(true) + key_line("a", -1, "A") + key_line("b", 5000, "B") + "\n"
                            + key_line("c", 1, "C"),
                        ".jsonl");
    const Read read = read_all(file.path(), SnapshotKeysOptions{false, k_taken + 60'000});
    REQUIRE(read.error.empty());
    REQUIRE(read.rows.size() == 3);
    CHECK(read.rows[0].key == "a");
    CHECK(read.rows[1].fields[1] == "5000");
    CHECK_FALSE(read.rows[1].fields[2].has_value());
  }

  TEST_CASE("restoring: TTLs shrink by the time since the snapshot, expired keys are dropped")
  {
    const TempFile file(header_line(true) + key_line("a", -1, "A") + key_line("b", 90'000, "B")
                            + key_line("c", 30'000, "C"),
                        ".jsonl");
    const Read read = read_all(file.path(), SnapshotKeysOptions{true, k_taken + 60'000});
    REQUIRE(read.error.empty());
    REQUIRE(read.rows.size() == 2);
    CHECK(read.rows[0].fields[1] == "-1");
    CHECK(read.rows[1].key == "b");
    CHECK(read.rows[1].fields[1] == "30000");
    CHECK(read.rows[1].fields[2] == "B");

    auto resolver = make_restore_value(std::vector<std::string>{"score", "ttl_ms", "dump"});
    REQUIRE(resolver);
    std::vector<cachewarm::core::Row> rows = read.rows;
    std::vector<cachewarm::core::Entry> entries;
    std::vector<cachewarm::core::Failure> failures;
    REQUIRE((*resolver)->resolve(rows, entries, failures));
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].ttl == 0ms);
    CHECK(entries[1].ttl == 30s);
    CHECK(std::get<cachewarm::core::DumpValue>(entries[1].value).payload == "B");
    CHECK(failures.empty());
  }

  TEST_CASE("a file that is no snapshot, a snapshot without values and a bad line are refused")
  {
    const TempFile plain("a\nb\n", ".jsonl");
    CHECK(read_all(plain.path(), {}).error
          == plain.path()
                 + ":1: not a cachewarm snapshot (line 1 is not its header; take one "
                   "with cachewarm snapshot)");
    const TempFile no_values(header_line(false) + key_line("a", -1), ".jsonl");
    CHECK(read_all(no_values.path(), SnapshotKeysOptions{true, k_taken})
              .error.find("taken without --values")
          != std::string::npos);
    CHECK(read_all(no_values.path(), {}).error.empty());
    const TempFile bad(header_line(false) + key_line("a", -1) + "{\"key\":1}\n", ".jsonl");
    CHECK(read_all(bad.path(), {}).error == bad.path() + ":3: no \"key\" (a string)");
    CHECK(read_all("/nonexistent/snap.jsonl", {}).error
          == "/nonexistent/snap.jsonl: cannot open: no such file or directory");
  }

  TEST_CASE("the restore value needs the fields of a snapshot source")
  {
    CHECK_FALSE(make_restore_value(std::vector<std::string>{"id"}));
  }
}
