#include "cachewarm/core/types.hpp"
#include "cachewarm/report/json.hpp"
#include "cachewarm/report/report.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using cachewarm::core::Failure;
using cachewarm::report::compute_totals;
using cachewarm::report::ErrorSummary;
using cachewarm::report::ErrorTally;
using cachewarm::report::format_utc;
using cachewarm::report::GroupReport;
using cachewarm::report::Report;
using cachewarm::report::Status;
using cachewarm::report::TargetReport;
using cachewarm::report::ThrottleReport;
using cachewarm::report::to_json;
using cachewarm::report::to_string;

namespace {

using Json = nlohmann::ordered_json;
using Strings = std::vector<std::string>;

// 2026-11-21T23:47:26.123Z
std::chrono::system_clock::time_point
fixed_start()
{
  using namespace std::chrono;
  return sys_days{year{2026} / November / day{21}} + 23h + 47min + 26s + 123ms;
}

// A run of one group writing to one target, with one kind of failure.
Report
sample_report()
{
  Report report;
  report.version = "0.1.0";
  report.manifest = "configs/demo.yaml";
  report.status = Status::partial;
  report.dry_run = false;
  report.started_at = fixed_start();
  report.finished_at = fixed_start() + 2500ms;

  GroupReport group;
  group.name = "top-products";
  group.ran = true;
  group.reason = "run: every group";
  group.planned = 4;
  group.written = 3;
  group.skipped = 0;
  group.failed = 1;
  group.bytes = 30;
  group.duration = 2400ms;
  group.finished_at = std::chrono::system_clock::time_point(
      std::chrono::milliseconds(1795304848600)); // 2026-11-21T23:47:28.600Z
  group.ready_by = std::chrono::sys_time<std::chrono::milliseconds>(
      std::chrono::milliseconds(1795334400000)); // 2026-11-22T08:00:00Z
  group.deadline_met = true;
  TargetReport target;
  target.name = "main";
  target.written = 3;
  target.failed = 1;
  target.batch_latency_ms = {1.5, 2.25, 3.0};
  group.targets.push_back(target);
  group.errors.push_back(ErrorSummary{"not_found", 1, {"product:4: the lookup returned no row"}});
  report.groups.push_back(group);
  compute_totals(report);
  return report;
}

Json
parse(const Report& report)
{
  return Json::parse(to_json(report));
}

Strings
keys_of(const Json& object)
{
  Strings keys;
  for (const auto& item : object.items()) {
    keys.push_back(item.key());
  }
  return keys;
}

Failure
failure(std::string key, std::string kind, std::string message)
{
  return Failure{std::move(key), std::move(kind), std::move(message)};
}

} // namespace

TEST_SUITE("report::json")
{
  TEST_CASE("top-level fields come in the documented order")
  {
    const Json doc = parse(sample_report());
    CHECK(keys_of(doc)
          == Strings{"schema_version",
                     "cachewarm",
                     "manifest",
                     "status",
                     "dry_run",
                     "started_at",
                     "finished_at",
                     "duration_ms",
                     "totals",
                     "groups"});
  }

  TEST_CASE("top-level values")
  {
    const Json doc = parse(sample_report());
    CHECK(doc["schema_version"].is_number_integer());
    CHECK(doc["schema_version"].get<int>() == 1);
    CHECK(doc["cachewarm"].get<std::string>() == "0.1.0");
    CHECK(doc["manifest"].get<std::string>() == "configs/demo.yaml");
    CHECK(doc["status"].get<std::string>() == "partial");
    CHECK(doc["dry_run"].is_boolean());
    CHECK(doc["dry_run"].get<bool>() == false);
    CHECK(doc["started_at"].get<std::string>() == "2026-11-21T23:47:26.123Z");
    CHECK(doc["finished_at"].get<std::string>() == "2026-11-21T23:47:28.623Z");
    CHECK(doc["duration_ms"].is_number_integer());
    CHECK(doc["duration_ms"].get<std::int64_t>() == 2500);
    CHECK(doc["groups"].is_array());
    CHECK(doc["groups"].size() == 1);
  }

  TEST_CASE("dry_run true and every status are written as documented")
  {
    Report report = sample_report();
    report.dry_run = true;
    CHECK(parse(report)["dry_run"].get<bool>() == true);
    const std::pair<Status, std::string> statuses[] = {{Status::ok, "ok"},
                                                       {Status::partial, "partial"},
                                                       {Status::failed, "failed"},
                                                       {Status::interrupted, "interrupted"}};
    for (const auto& [status, text] : statuses) {
      report.status = status;
      CHECK(parse(report)["status"].get<std::string>() == text);
      CHECK(to_string(status) == text);
    }
  }

  TEST_CASE("totals fields, order and values")
  {
    const Json totals = parse(sample_report())["totals"];
    CHECK(keys_of(totals)
          == Strings{"planned", "written", "skipped", "failed", "bytes", "keys_per_sec"});
    CHECK(totals["planned"].get<std::uint64_t>() == 4);
    CHECK(totals["written"].get<std::uint64_t>() == 3);
    CHECK(totals["skipped"].get<std::uint64_t>() == 0);
    CHECK(totals["failed"].get<std::uint64_t>() == 1);
    CHECK(totals["bytes"].get<std::uint64_t>() == 30);
    CHECK(totals["keys_per_sec"].is_number_float());
    CHECK(totals["keys_per_sec"].get<double>() == 1.2);
  }

  TEST_CASE("keys_per_sec is rounded to 3 decimals")
  {
    Report report = sample_report();
    report.totals.keys_per_sec = 1234.56789;
    CHECK(parse(report)["totals"]["keys_per_sec"].get<double>() == 1234.568);
  }

  TEST_CASE("a throttled target reports its rates, probe latencies and back-offs")
  {
    Report report = sample_report();
    report.groups[0].estimated_bytes = 123456;
    ThrottleReport throttle;
    throttle.final_rate = 12000.0;
    throttle.min_rate = 2500.0;
    throttle.max_rate = 41000.4444;
    throttle.probe_idle_ms = 0.1;
    throttle.probe_limit_ms = 0.2;
    throttle.probe_ms = {0.05, 0.15, 0.3};
    throttle.intervals = 40;
    throttle.rebaselines = 2;
    throttle.backoffs_latency = 1;
    throttle.backoffs_probe = 5;
    throttle.backoffs_memory = 2;
    throttle.backoffs_evictions = 3;
    report.groups[0].targets[0].throttle = throttle;
    const Json group = parse(report)["groups"][0];
    CHECK(group["estimated_bytes"].get<std::uint64_t>() == 123456);
    const Json& json = group["targets"][0]["throttle"];
    CHECK(keys_of(json) == Strings{"rate", "probe_ms", "intervals", "rebaselines", "backoffs"});
    CHECK(json["rebaselines"].get<std::uint64_t>() == 2);
    CHECK(json["rate"] == Json::parse(R"({"final": 12000.0, "min": 2500.0, "max": 41000.444})"));
    CHECK(json["probe_ms"]
          == Json::parse(R"({"idle": 0.1, "limit": 0.2, "p50": 0.05, "p95": 0.15, "p99": 0.3})"));
    CHECK(json["intervals"].get<std::uint64_t>() == 40);
    CHECK(json["backoffs"]
          == Json::parse(R"({"latency": 1, "probe": 5, "memory": 2, "evictions": 3})"));
  }

  TEST_CASE("a group's fields, order and values")
  {
    const Json group = parse(sample_report())["groups"][0];
    CHECK(keys_of(group)
          == Strings{"name",
                     "ran",
                     "reason",
                     "planned",
                     "written",
                     "skipped",
                     "failed",
                     "bytes",
                     "duration_ms",
                     "finished_at",
                     "ready_by",
                     "deadline_met",
                     "estimated_bytes",
                     "targets",
                     "errors"});
    CHECK(group["name"].get<std::string>() == "top-products");
    CHECK(group["ran"].get<bool>() == true);
    CHECK(group["reason"].get<std::string>() == "run: every group");
    CHECK(group["planned"].get<std::uint64_t>() == 4);
    CHECK(group["written"].get<std::uint64_t>() == 3);
    CHECK(group["skipped"].get<std::uint64_t>() == 0);
    CHECK(group["failed"].get<std::uint64_t>() == 1);
    CHECK(group["bytes"].get<std::uint64_t>() == 30);
    CHECK(group["duration_ms"].get<std::int64_t>() == 2400);
  }

  TEST_CASE("a target's fields, order and values")
  {
    const Json target = parse(sample_report())["groups"][0]["targets"][0];
    CHECK(keys_of(target) == Strings{"name", "written", "skipped", "failed", "batch_latency_ms"});
    CHECK(target["name"].get<std::string>() == "main");
    CHECK(target["written"].get<std::uint64_t>() == 3);
    CHECK(target["skipped"].get<std::uint64_t>() == 0);
    CHECK(target["failed"].get<std::uint64_t>() == 1);
    const Json& latency = target["batch_latency_ms"];
    CHECK(keys_of(latency) == Strings{"p50", "p95", "p99"});
    CHECK(latency["p50"].get<double>() == 1.5);
    CHECK(latency["p95"].get<double>() == 2.25);
    CHECK(latency["p99"].get<double>() == 3.0);
  }

  TEST_CASE("a TLS sentinel target adds tls.verify, its masters and its failovers")
  {
    Report report = sample_report();
    report.groups[0].targets[0].tls_verify = false;
    report.groups[0].targets[0].sentinel =
        cachewarm::report::SentinelReport{{"127.0.0.1:6380", "127.0.0.1:6381"}, 1};
    const Json target = parse(report)["groups"][0]["targets"][0];
    CHECK(keys_of(target)
          == Strings{"name",
                     "written",
                     "skipped",
                     "failed",
                     "batch_latency_ms",
                     "tls",
                     "masters",
                     "failovers"});
    CHECK(target["tls"] == Json{{"verify", false}});
    CHECK(target["masters"] == Json{"127.0.0.1:6380", "127.0.0.1:6381"});
    CHECK(target["failovers"].get<std::uint64_t>() == 1);
  }

  TEST_CASE("a cluster target lists its nodes with their slots, counts and redirections")
  {
    Report report = sample_report();
    CHECK_FALSE(parse(report)["groups"][0]["targets"][0].contains("nodes"));
    report.groups[0].targets[0].nodes =
        std::vector<cachewarm::report::NodeReport>{{"127.0.0.1:7000", 5461, 10, 1, 2, 3, 1}};
    const Json nodes = parse(report)["groups"][0]["targets"][0]["nodes"];
    REQUIRE(nodes.size() == 1);
    CHECK(keys_of(nodes[0])
          == Strings{"address", "slots", "written", "failed", "moved", "ask", "failovers"});
    CHECK(nodes[0]["address"] == "127.0.0.1:7000");
    CHECK(nodes[0]["slots"] == 5461);
    CHECK(nodes[0]["written"] == 10);
    CHECK(nodes[0]["failed"] == 1);
    CHECK(nodes[0]["moved"] == 2);
    CHECK(nodes[0]["ask"] == 3);
    CHECK(nodes[0]["failovers"] == 1);
  }

  TEST_CASE("a sharded run names its shard after dry_run; an unsharded one has no shard")
  {
    Report report = sample_report();
    CHECK_FALSE(parse(report).contains("shard"));
    report.shard = cachewarm::core::Shard{2, 4};
    const Json json = parse(report);
    const Strings keys = keys_of(json);
    REQUIRE(keys.size() > 6);
    CHECK(keys[4] == "dry_run");
    CHECK(keys[5] == "shard");
    CHECK(json["shard"] == Json{{"index", 2}, {"count", 4}});
  }

  TEST_CASE("latency percentiles are rounded to 3 decimals")
  {
    Report report = sample_report();
    report.groups[0].targets[0].batch_latency_ms = {0.12345, 9.8765, 100.0004};
    const Json latency = parse(report)["groups"][0]["targets"][0]["batch_latency_ms"];
    CHECK(latency["p50"].get<double>() == 0.123);
    CHECK(latency["p95"].get<double>() == 9.877);
    CHECK(latency["p99"].get<double>() == 100.0);
  }

  TEST_CASE("an error summary's fields, order and values")
  {
    const Json error = parse(sample_report())["groups"][0]["errors"][0];
    CHECK(keys_of(error) == Strings{"kind", "count", "samples"});
    CHECK(error["kind"].get<std::string>() == "not_found");
    CHECK(error["count"].get<std::uint64_t>() == 1);
    CHECK(error["samples"].get<Strings>() == Strings{"product:4: the lookup returned no row"});
  }

  TEST_CASE("a group that did not run has empty targets and errors arrays")
  {
    Report report;
    GroupReport group;
    group.name = "later";
    group.reason = "not due";
    report.groups.push_back(group);
    const Json doc = parse(report);
    const Json& written = doc["groups"][0];
    CHECK(written["ran"].get<bool>() == false);
    CHECK(written["reason"].get<std::string>() == "not due");
    CHECK(written["targets"].is_array());
    CHECK(written["targets"].empty());
    CHECK(written["errors"].is_array());
    CHECK(written["errors"].empty());
  }

  TEST_CASE("a report with no groups has an empty groups array")
  {
    const Json doc = parse(Report{});
    CHECK(doc["groups"].is_array());
    CHECK(doc["groups"].empty());
    CHECK(doc["started_at"].get<std::string>() == "1970-01-01T00:00:00.000Z");
    CHECK(doc["duration_ms"].get<std::int64_t>() == 0);
  }

  TEST_CASE("error is absent when the run did not fail as a whole")
  {
    const Json doc = parse(sample_report());
    CHECK_FALSE(doc.contains("error"));
  }

  TEST_CASE("error is the last field when set")
  {
    Report report = sample_report();
    report.status = Status::failed;
    report.error = "target \"main\" unreachable: Connection refused";
    const Json doc = parse(report);
    REQUIRE(doc.contains("error"));
    CHECK(doc["error"].get<std::string>() == "target \"main\" unreachable: Connection refused");
    CHECK(keys_of(doc).back() == "error");
    CHECK(keys_of(doc).size() == 11);
  }

  TEST_CASE("invalid UTF-8 in a sample is replaced, not thrown")
  {
    Report report = sample_report();
    report.groups[0].errors[0].samples = {"k\xFF\xFE: bad", "ok \xC3\xA9"};
    std::string text;
    CHECK_NOTHROW(text = to_json(report));
    const Json doc = Json::parse(text);
    CHECK(doc["groups"][0]["errors"][0]["samples"].get<Strings>()
          == Strings{"k\xEF\xBF\xBD\xEF\xBF\xBD: bad", "ok \xC3\xA9"});
  }

  TEST_CASE("invalid UTF-8 in a name is replaced, not thrown")
  {
    Report report = sample_report();
    report.groups[0].name = "g\x80";
    std::string text;
    CHECK_NOTHROW(text = to_json(report));
    CHECK(Json::parse(text)["groups"][0]["name"].get<std::string>() == "g\xEF\xBF\xBD");
  }

  TEST_CASE("a negative indent gives one line")
  {
    const std::string text = to_json(sample_report(), -1);
    CHECK(text.find('\n') == std::string::npos);
    CHECK(
        text.rfind(R"({"schema_version":1,"cachewarm":"0.1.0","manifest":"configs/demo.yaml",)", 0)
        == 0);
  }

  TEST_CASE("golden: a small report with indent 2")
  {
    const std::string expected = "{\n"
                                 "  \"schema_version\": 1,\n"
                                 "  \"cachewarm\": \"0.1.0\",\n"
                                 "  \"manifest\": \"configs/demo.yaml\",\n"
                                 "  \"status\": \"partial\",\n"
                                 "  \"dry_run\": false,\n"
                                 "  \"started_at\": \"2026-11-21T23:47:26.123Z\",\n"
                                 "  \"finished_at\": \"2026-11-21T23:47:28.623Z\",\n"
                                 "  \"duration_ms\": 2500,\n"
                                 "  \"totals\": {\n"
                                 "    \"planned\": 4,\n"
                                 "    \"written\": 3,\n"
                                 "    \"skipped\": 0,\n"
                                 "    \"failed\": 1,\n"
                                 "    \"bytes\": 30,\n"
                                 "    \"keys_per_sec\": 1.2\n"
                                 "  },\n"
                                 "  \"groups\": [\n"
                                 "    {\n"
                                 "      \"name\": \"top-products\",\n"
                                 "      \"ran\": true,\n"
                                 "      \"reason\": \"run: every group\",\n"
                                 "      \"planned\": 4,\n"
                                 "      \"written\": 3,\n"
                                 "      \"skipped\": 0,\n"
                                 "      \"failed\": 1,\n"
                                 "      \"bytes\": 30,\n"
                                 "      \"duration_ms\": 2400,\n"
                                 "      \"finished_at\": \"2026-11-21T23:47:28.600Z\",\n"
                                 "      \"ready_by\": \"2026-11-22T08:00:00.000Z\",\n"
                                 "      \"deadline_met\": true,\n"
                                 "      \"estimated_bytes\": null,\n"
                                 "      \"targets\": [\n"
                                 "        {\n"
                                 "          \"name\": \"main\",\n"
                                 "          \"written\": 3,\n"
                                 "          \"skipped\": 0,\n"
                                 "          \"failed\": 1,\n"
                                 "          \"batch_latency_ms\": {\n"
                                 "            \"p50\": 1.5,\n"
                                 "            \"p95\": 2.25,\n"
                                 "            \"p99\": 3.0\n"
                                 "          }\n"
                                 "        }\n"
                                 "      ],\n"
                                 "      \"errors\": [\n"
                                 "        {\n"
                                 "          \"kind\": \"not_found\",\n"
                                 "          \"count\": 1,\n"
                                 "          \"samples\": [\n"
                                 "            \"product:4: the lookup returned no row\"\n"
                                 "          ]\n"
                                 "        }\n"
                                 "      ]\n"
                                 "    }\n"
                                 "  ]\n"
                                 "}";
    CHECK(to_json(sample_report(), 2) == expected);
  }
}

TEST_SUITE("report::report")
{
  TEST_CASE("ErrorTally counts failures by kind with key: message samples")
  {
    ErrorTally tally;
    tally.add(failure("k1", "not_found", "no row"));
    tally.add(failure("k2", "not_found", "NULL"));
    tally.add(failure("k3", "wrongtype", "WRONGTYPE x"));
    CHECK(tally.total() == 3);
    const std::vector<ErrorSummary> summaries = tally.summaries();
    REQUIRE(summaries.size() == 2);
    CHECK(summaries[0].kind == "not_found");
    CHECK(summaries[0].count == 2);
    CHECK(summaries[0].samples == Strings{"k1: no row", "k2: NULL"});
    CHECK(summaries[1].kind == "wrongtype");
    CHECK(summaries[1].count == 1);
    CHECK(summaries[1].samples == Strings{"k3: WRONGTYPE x"});
  }

  TEST_CASE("ErrorTally keeps at most 5 samples per kind, the first ones")
  {
    ErrorTally tally;
    for (int i = 0; i < 8; ++i) {
      tally.add(failure("k" + std::to_string(i), "oom", "m"));
    }
    const std::vector<ErrorSummary> summaries = tally.summaries();
    REQUIRE(summaries.size() == 1);
    CHECK(summaries[0].count == 8);
    CHECK(ErrorTally::k_max_samples == 5);
    CHECK(summaries[0].samples == Strings{"k0: m", "k1: m", "k2: m", "k3: m", "k4: m"});
  }

  TEST_CASE("ErrorTally add with a count records one sample, none when empty")
  {
    ErrorTally tally;
    tally.add("null_key", 40, "row 3: a key column is NULL");
    tally.add("null_key", 2, "");
    const std::vector<ErrorSummary> summaries = tally.summaries();
    REQUIRE(summaries.size() == 1);
    CHECK(summaries[0].count == 42);
    CHECK(summaries[0].samples == Strings{"row 3: a key column is NULL"});
    CHECK(tally.total() == 42);
  }

  TEST_CASE("an empty ErrorTally has no summaries and total 0")
  {
    const ErrorTally tally;
    CHECK(tally.total() == 0);
    CHECK(tally.summaries().empty());
  }

  TEST_CASE("ErrorTally merge sums counts and appends samples up to the cap")
  {
    ErrorTally mine;
    ErrorTally other;
    for (int i = 0; i < 3; ++i) {
      mine.add(failure("a" + std::to_string(i), "busy", "m"));
    }
    for (int i = 0; i < 4; ++i) {
      other.add(failure("b" + std::to_string(i), "busy", "m"));
    }
    other.add(failure("y0", "loading", "m"));
    mine.merge(other);
    CHECK(mine.total() == 8);
    const std::vector<ErrorSummary> summaries = mine.summaries();
    REQUIRE(summaries.size() == 2);
    CHECK(summaries[0].kind == "busy");
    CHECK(summaries[0].count == 7);
    CHECK(summaries[0].samples == Strings{"a0: m", "a1: m", "a2: m", "b0: m", "b1: m"});
    CHECK(summaries[1].kind == "loading");
    CHECK(summaries[1].count == 1);
    CHECK(summaries[1].samples == Strings{"y0: m"});
    // The merged-from tally is unchanged.
    CHECK(other.total() == 5);
  }

  TEST_CASE("ErrorTally merge into an empty tally copies it")
  {
    ErrorTally other;
    other.add("oom", 3, "k: OOM");
    ErrorTally mine;
    mine.merge(other);
    const std::vector<ErrorSummary> summaries = mine.summaries();
    REQUIRE(summaries.size() == 1);
    CHECK(summaries[0].kind == "oom");
    CHECK(summaries[0].count == 3);
    CHECK(summaries[0].samples == Strings{"k: OOM"});
  }

  TEST_CASE("ErrorTally summaries are sorted by count descending, then kind")
  {
    ErrorTally tally;
    tally.add("zeta", 2, "z");
    tally.add("beta", 1, "b");
    tally.add("mid", 5, "m");
    tally.add("alpha", 2, "a");
    Strings order;
    for (const ErrorSummary& summary : tally.summaries()) {
      order.push_back(summary.kind);
    }
    CHECK(order == Strings{"mid", "alpha", "zeta", "beta"});
  }

  TEST_CASE("compute_totals sums the groups")
  {
    Report report;
    report.started_at = fixed_start();
    report.finished_at = fixed_start() + 2s;
    GroupReport a;
    a.planned = 10;
    a.written = 6;
    a.skipped = 3;
    a.failed = 1;
    a.bytes = 600;
    GroupReport b;
    b.planned = 5;
    b.written = 4;
    b.skipped = 0;
    b.failed = 1;
    b.bytes = 40;
    report.groups = {a, b};
    compute_totals(report);
    CHECK(report.totals.planned == 15);
    CHECK(report.totals.written == 10);
    CHECK(report.totals.skipped == 3);
    CHECK(report.totals.failed == 2);
    CHECK(report.totals.bytes == 640);
    CHECK(report.totals.keys_per_sec == 5.0);
  }

  TEST_CASE("compute_totals: keys_per_sec is written keys over wall time")
  {
    Report report;
    report.started_at = fixed_start();
    report.finished_at = fixed_start() + 1500ms;
    GroupReport group;
    group.written = 300;
    group.skipped = 700;
    report.groups = {group};
    compute_totals(report);
    CHECK(report.totals.keys_per_sec == doctest::Approx(200.0));
  }

  TEST_CASE("compute_totals: keys_per_sec is 0 for a zero or negative duration")
  {
    Report report;
    report.started_at = fixed_start();
    report.finished_at = fixed_start();
    GroupReport group;
    group.written = 5;
    report.groups = {group};
    compute_totals(report);
    CHECK(report.totals.keys_per_sec == 0.0);
    report.finished_at = fixed_start() - 1s;
    compute_totals(report);
    CHECK(report.totals.keys_per_sec == 0.0);
  }

  TEST_CASE("compute_totals replaces previous totals")
  {
    Report report;
    report.totals.planned = 99;
    report.totals.keys_per_sec = 7.0;
    compute_totals(report);
    CHECK(report.totals.planned == 0);
    CHECK(report.totals.written == 0);
    CHECK(report.totals.keys_per_sec == 0.0);
  }

  TEST_CASE("format_utc writes ISO 8601 UTC with milliseconds")
  {
    CHECK(format_utc(fixed_start()) == "2026-11-21T23:47:26.123Z");
    CHECK(format_utc(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  }

  TEST_CASE("format_utc pads milliseconds and truncates finer precision")
  {
    using namespace std::chrono;
    const sys_days leap_day{year{2024} / February / day{29}};
    CHECK(format_utc(leap_day + 12h + 7ms) == "2024-02-29T12:00:00.007Z");
    CHECK(format_utc(leap_day + 59s + 999999us) == "2024-02-29T00:00:59.999Z");
    CHECK(format_utc(leap_day + 23h + 59min + 59s + 1s) == "2024-03-01T00:00:00.000Z");
  }
}
