#include "cachewarm/exec/open_group.hpp"

#include "cachewarm/core/assert.hpp"
#include "cachewarm/core/log.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/manifest/diagnostic.hpp"
#include "cachewarm/predict/access_log.hpp"
#include "cachewarm/predict/predict.hpp"
#include "cachewarm/sinks/redis.hpp"
#include "cachewarm/sources/generated.hpp"
#include "cachewarm/sources/http.hpp"
#include "cachewarm/sources/key_lists.hpp"
#include "cachewarm/sources/postgres.hpp"
#include "cachewarm/sources/snapshot.hpp"
#include "cachewarm/sources/sqlite.hpp"
#include "cachewarm/sources/values.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace cachewarm::exec {

namespace {

std::string
located(const manifest::Manifest& manifest, manifest::Location loc, const std::string& message)
{
  return manifest::Diagnostic{manifest.path, loc, message}.to_string();
}

sources::HttpOptions
http_options(const manifest::SourceSpec& source)
{
  sources::HttpOptions options;
  options.name = source.name;
  options.base_url = source.http.base_url;
  options.headers = source.http.headers;
  options.timeout = source.http.timeout;
  options.connect_timeout = source.http.connect_timeout;
  options.concurrency = source.http.concurrency;
  options.rate_per_second = source.http.rate.per_second;
  options.retries = source.http.retries;
  options.max_body = source.http.max_body;
  return options;
}

sources::KeyListFormat
key_list_format(manifest::KeyFormat format)
{
  switch (format) {
  case manifest::KeyFormat::lines:
    return sources::KeyListFormat::lines;
  case manifest::KeyFormat::jsonl:
    return sources::KeyListFormat::jsonl;
  case manifest::KeyFormat::csv:
    return sources::KeyListFormat::csv;
  case manifest::KeyFormat::json:
    return sources::KeyListFormat::json;
  case manifest::KeyFormat::sitemap:
    return sources::KeyListFormat::sitemap;
  }
  return sources::KeyListFormat::lines;
}

// The source a group's query or lookup names; validation guarantees it exists.
const manifest::SourceSpec&
named_source(const manifest::Manifest& manifest, const std::string& name)
{
  const manifest::SourceSpec* source = manifest.find_source(name);
  CW_ASSERT(source != nullptr);
  return *source;
}

// The keys `log` predicts (cachewarm predict with the same settings), best first. Errors:
// Errc::source when a log cannot be read (naming it), Errc::manifest for a template, rule or
// field the log format does not allow.
core::Result<std::vector<std::string>>
predict_from_logs(const manifest::AccessLogSpec& log)
{
  predict::LogSpec spec;
  CW_TRY_ASSIGN(spec.format, predict::parse_log_format(log.format));
  spec.header = log.header;
  spec.time_field = log.time_field;
  if (!log.time_unit.empty()) {
    CW_TRY_ASSIGN(spec.time_unit, predict::parse_time_unit(log.time_unit));
  }
  spec.key = log.key.empty() && log.rules.empty() ? "{path}" : log.key;
  for (const manifest::AccessLogRule& rule : log.rules) {
    spec.rules.push_back(predict::KeyRule{rule.match, rule.key, rule.field});
  }
  spec.client = log.client;
  spec.status_classes = log.status_classes;
  spec.methods = log.methods;
  spec.path_regex = log.path;
  spec.segment = log.by;
  for (const auto& [prefix, name] : log.prefixes) {
    spec.segment_prefixes.push_back(predict::SegmentPrefix{prefix, name});
  }
  auto classify = [](core::Error error) {
    // A log that cannot be read is a source failure (exit 3); a spec the reader refuses is the
    // manifest's fault (exit 2).
    error.code = error.code == core::Errc::io ? core::Errc::source : core::Errc::manifest;
    error.message = "access_log: " + error.message;
    return error;
  };
  core::Result<std::unique_ptr<predict::LogReader>> reader =
      predict::LogReader::open(std::move(spec), log.files);
  if (!reader) {
    return tl::unexpected(classify(reader.error()));
  }
  predict::PredictOptions options;
  options.window_s = static_cast<double>(log.window.count()) / 1000.0;
  if (!log.segment.empty()) {
    options.segment = log.segment;
  }
  options.capacity = log.capacity;
  options.top = log.top;
  options.cover = log.cover;
  options.max_keys = log.max_keys;
  core::Result<predict::Prediction> prediction = predict::predict_keys(**reader, options);
  if (!prediction) {
    return tl::unexpected(classify(prediction.error()));
  }
  const predict::SkipCounts& counts = prediction->log;
  core::log(core::LogLevel::info,
            "access_log: " + std::to_string(counts.requests) + " requests of "
                + std::to_string(counts.lines) + " lines predict "
                + (log.segment.empty() ? "" : "for segment " + log.segment + " ")
                + std::to_string(prediction->keys.size()) + " keys (model "
                + prediction->weights.candidate + ")");
  std::vector<std::string> keys;
  keys.reserve(prediction->keys.size());
  for (predict::ScoredKey& key : prediction->keys) {
    keys.push_back(std::move(key.key));
  }
  return keys;
}

// The group's key source (keys, pattern, query or keys_from), opened.
core::Result<std::unique_ptr<sources::KeySource>>
open_key_source(const manifest::Manifest& manifest, const manifest::GroupSpec& group)
{
  if (!group.keys.empty()) {
    return sources::make_literal_keys(group.keys);
  }
  if (group.pattern) {
    std::vector<sources::Dimension> dimensions;
    for (const manifest::PatternVar& var : group.with) {
      sources::Dimension dimension;
      dimension.name = var.name;
      if (var.range) {
        const manifest::Range range = *var.range;
        dimension.size = range.size();
        dimension.value_at = [range](std::uint64_t i, std::string& out) { out = range.at(i); };
      } else {
        dimension.size = var.values.size();
        dimension.value_at = [values = var.values](std::uint64_t i, std::string& out) {
          out = values[i];
        };
      }
      dimensions.push_back(std::move(dimension));
    }
    return sources::make_pattern_keys(*group.pattern, std::move(dimensions));
  }
  if (group.query) {
    const manifest::SourceSpec& source = named_source(manifest, group.query->source);
    CW_ASSERT(group.key.has_value()); // the manifest guarantees a query's key template
    const core::Template& key = *group.key;
    if (source.kind == manifest::SourceKind::postgres) {
      return sources::open_postgres_query(source.postgres, group.query->sql, key);
    }
    return sources::open_sqlite_query(source.sqlite_path, group.query->sql, key);
  }
  CW_ASSERT(group.keys_from.has_value());
  const manifest::KeysFromSpec& from = *group.keys_from;
  if (!from.snapshot.empty()) {
    sources::SnapshotKeysOptions options;
    options.restore = group.value && group.value->kind == manifest::ValueKind::restore;
    options.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return sources::open_snapshot_keys(from.snapshot, options);
  }
  if (from.access_log) {
    CW_TRY_ASSIGN(std::vector<std::string> keys, predict_from_logs(*from.access_log));
    return sources::make_value_keys(std::move(keys), "key", group.key);
  }
  sources::KeyListOptions options;
  options.format = key_list_format(from.format);
  options.field = from.field;
  options.key = group.key;
  if (!from.file.empty()) {
    return sources::open_key_file(from.file, options);
  }
  const manifest::SourceSpec& source = named_source(manifest, from.source);
  const sources::HttpOptions http = http_options(source);
  CW_TRY_ASSIGN(std::string document, sources::http_fetch(http, from.get));
  // Messages name the path without its query string, which may hold a credential.
  const std::string path = from.get.substr(0, from.get.find('?'));
  return sources::parse_key_document(
      std::move(document), "http " + source.name + " GET " + path, options);
}

// The group's value resolver for rows with `fields`, opened.
core::Result<std::unique_ptr<sources::ValueResolver>>
open_value_resolver(const manifest::Manifest& manifest,
                    const manifest::ValueSpec& value,
                    const std::vector<std::string>& fields)
{
  switch (value.kind) {
  case manifest::ValueKind::column:
    return sources::make_column_value(value.column, fields);
  case manifest::ValueKind::hash:
    return sources::make_hash_value(value.hash_columns, fields);
  case manifest::ValueKind::text:
    return sources::make_text_value(value.text, fields);
  case manifest::ValueKind::lookup_sql: {
    const manifest::SourceSpec& source = named_source(manifest, value.source);
    if (source.kind == manifest::SourceKind::postgres) {
      return sources::open_postgres_lookup(source.postgres, value.sql, value.params, fields);
    }
    return sources::open_sqlite_lookup(source.sqlite_path, value.sql, value.params, fields);
  }
  case manifest::ValueKind::lookup_http: {
    const manifest::SourceSpec& source = named_source(manifest, value.source);
    return sources::open_http_lookup(
        http_options(source), value.get, value.json_pointer, value.hash_from_json, fields);
  }
  case manifest::ValueKind::set:
    return sources::make_grouped_value(sources::Collection::set, value.member, {}, fields);
  case manifest::ValueKind::zset:
    return sources::make_grouped_value(
        sources::Collection::zset, value.member, value.score, fields);
  case manifest::ValueKind::list:
    return sources::make_grouped_value(sources::Collection::list, value.member, {}, fields);
  case manifest::ValueKind::restore:
    return sources::make_restore_value(fields);
  }
  return core::fail(core::Errc::internal, "unknown value kind");
}

// Opens the group's key source and value resolver. Errors carry the manifest location.
core::Result<PreparedGroup>
prepare_group(const manifest::Manifest& manifest, const plan::GroupPlan& group_plan)
{
  const manifest::GroupSpec& group = *group_plan.spec;
  const std::string where = "group \"" + group.name + "\"";
  auto error_at = [&](manifest::Location loc, const core::Error& error) {
    return tl::unexpected(
        core::Error{error.code, located(manifest, loc, where + ": " + error.message)});
  };
  PreparedGroup prepared;
  prepared.plan = &group_plan;
  core::Result<std::unique_ptr<sources::KeySource>> keys = open_key_source(manifest, group);
  if (!keys) {
    return error_at(group.query       ? group.query->loc
                    : group.keys_from ? group.keys_from->loc
                                      : group.keys_loc,
                    keys.error());
  }
  prepared.keys = std::move(*keys);
  core::Result<std::unique_ptr<sources::ValueResolver>> values =
      open_value_resolver(manifest, *group.value, prepared.keys->fields());
  if (!values) {
    return error_at(group.value->loc, values.error());
  }
  prepared.values = std::move(*values);
  return prepared;
}

// The sink of one target: its URL is checked even in a dry run, so a dry run proves the manifest
// would run.
core::Result<std::unique_ptr<sinks::Sink>>
open_sink(const manifest::TargetSpec& spec, const SetUpOptions& options)
{
  const sinks::RedisOptions redis = redis_options(spec, options.stop);
  CW_TRY_ASSIGN(std::unique_ptr<sinks::Sink> sink, sinks::make_redis_sink(redis));
  if (options.dry_run) {
    return sinks::make_dry_run_sink(spec.name, sink->describe());
  }
  return sink;
}

// Why `group` cannot be resumed, if it cannot: --resume skips the rows an earlier run finished by
// their position, which only names the same rows when the query orders them.
std::optional<std::string>
resume_problem(const manifest::Manifest& manifest, const manifest::GroupSpec& group)
{
  const bool collection = manifest::is_collection(group.value->kind);
  if (!group.query || collection || has_outer_order_by(group.query->sql)) {
    return std::nullopt; // other sources keep their order; collections restart from the top
  }
  return located(manifest,
                 group.query->loc,
                 "group \"" + group.name
                     + "\": --resume needs the query's rows in a stable order (it skips the rows "
                       "an earlier run finished by position): add an ORDER BY on a unique key");
}

} // namespace

sinks::RedisOptions
redis_options(const manifest::TargetSpec& spec, const std::atomic<bool>* stop)
{
  sinks::RedisOptions redis;
  redis.name = spec.name;
  redis.url = spec.url;
  redis.connect_timeout = spec.connect_timeout;
  redis.command_timeout = spec.command_timeout;
  redis.reconnect_budget = spec.reconnect_budget;
  redis.stop = stop;
  redis.tls = spec.tls;
  if (spec.sentinel) {
    redis.sentinel_user = spec.sentinel->username;
    redis.sentinel_password = spec.sentinel->password;
    redis.sentinel_tls = spec.sentinel->tls;
  }
  redis.replicas_ack = spec.replicas_ack;
  redis.replicas_ack_timeout = spec.replicas_ack_timeout;
  redis.cluster = spec.cluster;
  return redis;
}

SetUp
set_up(const manifest::Manifest& manifest, const plan::Plan& plan, const SetUpOptions& options)
{
  SetUp setup;
  for (const plan::GroupPlan& group : plan.groups) {
    if (!group.run) {
      continue; // not due: its targets need not be reachable, its sources not readable
    }
    for (const manifest::TargetSpec* spec : group.targets) {
      const bool known = std::any_of(setup.targets.begin(),
                                     setup.targets.end(),
                                     [&](const TargetState& t) { return t.spec == spec; });
      if (known) {
        continue;
      }
      TargetState target;
      target.spec = spec;
      core::Result<std::unique_ptr<sinks::Sink>> sink = open_sink(*spec, options);
      if (sink) {
        target.sink = std::move(*sink);
      } else {
        setup.problems.push_back(located(manifest, spec->loc, sink.error().message));
      }
      setup.targets.push_back(std::move(target));
    }
  }
  for (const plan::GroupPlan& group : plan.groups) {
    if (!group.run) {
      continue;
    }
    if (options.resume) {
      if (std::optional<std::string> problem = resume_problem(manifest, *group.spec)) {
        setup.problems.push_back(std::move(*problem));
        continue;
      }
    }
    core::Result<PreparedGroup> ready = prepare_group(manifest, group);
    if (!ready) {
      setup.source_unreachable =
          setup.source_unreachable || ready.error().code == core::Errc::source;
      setup.problems.push_back(ready.error().message);
      continue;
    }
    setup.groups.push_back(std::move(*ready));
  }
  return setup;
}

bool
has_outer_order_by(std::string_view sql)
{
  // A small scanner, not a parser: words at depth 0 outside literals and comments.
  int depth = 0;
  std::string previous; // the last word seen at depth 0, upper-cased
  std::size_t i = 0;
  auto skip_quoted = [&](char quote) {
    for (++i; i < sql.size(); ++i) {
      if (sql[i] == quote) {
        if (i + 1 < sql.size() && sql[i + 1] == quote) {
          ++i; // a doubled quote inside the literal
          continue;
        }
        break;
      }
    }
    ++i;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      skip_quoted(c);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      i = std::min(sql.find('\n', i), sql.size());
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const std::size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (c == '(' || c == ')') {
      depth += c == '(' ? 1 : (depth > 0 ? -1 : 0);
      previous.clear();
      ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_') {
      std::string word;
      while (i < sql.size()
             && (std::isalnum(static_cast<unsigned char>(sql[i])) != 0 || sql[i] == '_')) {
        word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
        ++i;
      }
      if (depth == 0) {
        if (word == "BY" && previous == "ORDER") {
          return true;
        }
        previous = std::move(word);
      }
    } else {
      if (std::isspace(static_cast<unsigned char>(c)) == 0) {
        previous.clear();
      }
      ++i;
    }
  }
  return false;
}

} // namespace cachewarm::exec
