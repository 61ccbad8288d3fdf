#include "cachewarm/report/json.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace cachewarm::report {

namespace {

using Json = nlohmann::ordered_json;

// Rounds to 3 decimals so reports stay readable and diff-friendly.
double
round3(double value)
{
  return std::round(value * 1000.0) / 1000.0;
}

Json
to_json_value(const LatencySummary& latency)
{
  return Json{
      {"p50", round3(latency.p50)}, {"p95", round3(latency.p95)}, {"p99", round3(latency.p99)}};
}

Json
to_json_value(const ThrottleReport& throttle)
{
  return Json{{"rate",
               {{"final", round3(throttle.final_rate)},
                {"min", round3(throttle.min_rate)},
                {"max", round3(throttle.max_rate)}}},
              {"probe_ms",
               {{"idle", round3(throttle.probe_idle_ms)},
                {"limit", round3(throttle.probe_limit_ms)},
                {"p50", round3(throttle.probe_ms.p50)},
                {"p95", round3(throttle.probe_ms.p95)},
                {"p99", round3(throttle.probe_ms.p99)}}},
              {"intervals", throttle.intervals},
              {"rebaselines", throttle.rebaselines},
              {"backoffs",
               {{"latency", throttle.backoffs_latency},
                {"probe", throttle.backoffs_probe},
                {"memory", throttle.backoffs_memory},
                {"evictions", throttle.backoffs_evictions}}}};
}

Json
to_json_value(const TargetReport& target)
{
  Json json{{"name", target.name},
            {"written", target.written},
            {"skipped", target.skipped},
            {"failed", target.failed},
            {"batch_latency_ms", to_json_value(target.batch_latency_ms)}};
  if (target.throttle) {
    json["throttle"] = to_json_value(*target.throttle);
  }
  if (target.tls_verify) {
    json["tls"] = Json{{"verify", *target.tls_verify}};
  }
  if (target.sentinel) {
    json["masters"] = target.sentinel->masters;
    json["failovers"] = target.sentinel->failovers;
  }
  if (target.nodes) {
    Json nodes = Json::array();
    for (const NodeReport& node : *target.nodes) {
      nodes.push_back(Json{{"address", node.address},
                           {"slots", node.slots},
                           {"written", node.written},
                           {"failed", node.failed},
                           {"moved", node.moved},
                           {"ask", node.ask},
                           {"failovers", node.failovers}});
    }
    json["nodes"] = std::move(nodes);
  }
  return json;
}

Json
to_json_value(const ErrorSummary& error)
{
  return Json{{"kind", error.kind}, {"count", error.count}, {"samples", error.samples}};
}

Json
to_json_value(const GroupReport& group)
{
  Json targets = Json::array();
  for (const TargetReport& target : group.targets) {
    targets.push_back(to_json_value(target));
  }
  Json errors = Json::array();
  for (const ErrorSummary& error : group.errors) {
    errors.push_back(to_json_value(error));
  }
  return Json{
      {"name", group.name},
      {"ran", group.ran},
      {"reason", group.reason},
      {"planned", group.planned},
      {"written", group.written},
      {"skipped", group.skipped},
      {"failed", group.failed},
      {"bytes", group.bytes},
      {"duration_ms", group.duration.count()},
      {"finished_at", group.finished_at ? Json(format_utc(*group.finished_at)) : Json(nullptr)},
      {"ready_by",
       group.ready_by ? Json(format_utc(std::chrono::system_clock::time_point(*group.ready_by)))
                      : Json(nullptr)},
      {"deadline_met", group.deadline_met ? Json(*group.deadline_met) : Json(nullptr)},
      {"estimated_bytes", group.estimated_bytes ? Json(*group.estimated_bytes) : Json(nullptr)},
      {"targets", std::move(targets)},
      {"errors", std::move(errors)}};
}

} // namespace

std::string
to_json(const Report& report, int indent)
{
  Json groups = Json::array();
  for (const GroupReport& group : report.groups) {
    groups.push_back(to_json_value(group));
  }
  Json document{
      {"schema_version", Report::k_schema_version},
      {"cachewarm", report.version},
      {"manifest", report.manifest},
      {"status", std::string(to_string(report.status))},
      {"dry_run", report.dry_run},
  };
  if (report.shard) {
    document["shard"] = Json{{"index", report.shard->index}, {"count", report.shard->count}};
  }
  document["started_at"] = format_utc(report.started_at);
  document["finished_at"] = format_utc(report.finished_at);
  document["duration_ms"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(report.finished_at - report.started_at)
          .count();
  document["totals"] = Json{{"planned", report.totals.planned},
                            {"written", report.totals.written},
                            {"skipped", report.totals.skipped},
                            {"failed", report.totals.failed},
                            {"bytes", report.totals.bytes},
                            {"keys_per_sec", round3(report.totals.keys_per_sec)}};
  document["groups"] = std::move(groups);
  if (!report.error.empty()) {
    document["error"] = report.error;
  }
  // Keys and values may hold arbitrary bytes: replace invalid UTF-8 instead of throwing.
  return document.dump(indent, ' ', false, Json::error_handler_t::replace);
}

} // namespace cachewarm::report
