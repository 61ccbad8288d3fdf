// Loads a manifest with yaml-cpp and validates it in one walk. Every problem becomes a Diagnostic
// (through the typed readers of yaml_reader.cpp) and the walk goes on, so `validate` can list
// them all; no yaml-cpp exception leaves this file.

#include "cachewarm/manifest/parse.hpp"

#include "text_checks_detail.hpp"
#include "yaml_reader_detail.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

namespace cachewarm::manifest {

namespace {

using detail::contains;
using detail::describe;
using detail::Entry;
using detail::Fields;
using detail::location_of;
using detail::names_or_none;
using detail::one_based;
using detail::quote;

constexpr std::size_t k_max_batch = 100000;
constexpr std::size_t k_max_concurrency = 1024;
constexpr std::size_t k_max_retries = 100;

constexpr std::string_view k_top_fields[] = {
    "version", "targets", "sources", "schedules", "defaults", "groups"};
constexpr std::string_view k_target_fields[] = {
    "url", "cluster", "connect_timeout", "timeout", "reconnect_budget"};
constexpr std::string_view k_source_fields[] = {"sqlite", "postgres", "http"};
constexpr std::string_view k_http_fields[] = {"base_url",
                                              "headers",
                                              "timeout",
                                              "connect_timeout",
                                              "concurrency",
                                              "rate",
                                              "retries",
                                              "max_body"};
constexpr std::string_view k_schedule_fields[] = {
    "peak", "days", "dates", "at", "cron", "timezone", "lead"};
constexpr std::string_view k_defaults_fields[] = {
    "target", "ttl", "ttl_jitter", "batch", "concurrency", "rate", "throttle", "only_missing"};
constexpr std::string_view k_group_fields[] = {"name",
                                               "priority",
                                               "schedule",
                                               "keys",
                                               "pattern",
                                               "with",
                                               "query",
                                               "keys_from",
                                               "key",
                                               "value",
                                               "ttl",
                                               "ttl_jitter",
                                               "target",
                                               "targets",
                                               "only_missing",
                                               "batch",
                                               "concurrency",
                                               "rate",
                                               "throttle"};
constexpr std::string_view k_query_fields[] = {"source", "sql"};
constexpr std::string_view k_value_fields[] = {"column",
                                               "hash",
                                               "set",
                                               "zset",
                                               "list",
                                               "source",
                                               "sql",
                                               "params",
                                               "get",
                                               "json_pointer",
                                               "hash_from_json",
                                               "text"};
// The fields of `value:` that pick its kind; exactly one must be present.
constexpr std::string_view k_value_kinds[] = {
    "column", "hash", "set", "zset", "list", "sql", "get", "text"};
// Value kinds that read the group's query rows.
constexpr std::string_view k_row_value_kinds[] = {"column", "hash", "set", "zset", "list"};
// Value fields that only make sense with `get`.
constexpr std::string_view k_get_only_fields[] = {"json_pointer", "hash_from_json"};
constexpr std::string_view k_zset_fields[] = {"member", "score"};
constexpr std::string_view k_keys_from_fields[] = {"file", "source", "get", "format", "field"};

bool
is_one_of(std::span<const std::string_view> names, std::string_view name)
{
  return std::find(names.begin(), names.end(), name) != names.end();
}

// `path` as written when absolute, else relative to `base_dir` (the manifest's directory).
std::string
resolve_path(const std::string& path, const std::string& base_dir)
{
  std::filesystem::path resolved(path);
  if (resolved.is_relative() && !base_dir.empty()) {
    resolved = std::filesystem::path(base_dir) / resolved;
  }
  return resolved.string();
}

// A section of named entries: `targets`, `sources` or `schedules`.
struct NamedSection {
  std::string_view name;                    // the section, e.g. "targets"
  std::string_view noun;                    // one entry, e.g. "target"
  std::string_view expected;                // what the section holds, for "expected X, got Y"
  std::string_view entry_expected;          // what one entry holds, likewise
  std::span<const std::string_view> fields; // the fields an entry may have
  bool required = false; // null and an empty mapping are errors (else the section is skipped)
};

constexpr NamedSection k_targets_section{"targets",
                                         "target",
                                         "a mapping of names to {url: ...}",
                                         "a mapping like {url: \"redis://host:6379\"}",
                                         k_target_fields,
                                         true};
constexpr NamedSection k_sources_section{"sources",
                                         "source",
                                         "a mapping of names to sources",
                                         "a mapping with one of sqlite, postgres or http",
                                         k_source_fields,
                                         false};
constexpr NamedSection k_schedules_section{"schedules",
                                           "schedule",
                                           "a mapping of names to schedules",
                                           "a mapping with one of peak, dates or cron",
                                           k_schedule_fields,
                                           false};

// The names a group may refer to; registered even for broken entries so that one mistake does
// not cascade into "unknown target" errors.
struct DefinedNames {
  std::vector<std::string> targets;
  std::vector<std::string> sources;
  std::map<std::string, SourceKind, std::less<>> source_kinds; // the sources whose kind is known
  std::vector<std::string> schedules;
};

// Walks the YAML tree, filling a Manifest and collecting diagnostics.
class Parser {
public:
  Parser(std::string_view file_name, std::string_view base_dir, const EnvLookup& env)
      : m_file(file_name)
      , m_base_dir(base_dir)
      , m_reader(file_name, env)
  {}

  LoadResult parse(std::string_view text);

private:
  // Reads a section of named entries (`targets`, `sources`, `schedules`): checks that it is a
  // mapping, and each entry's name, which it appends to `names`; then, for an entry that is a
  // mapping, calls `parse_one(entry, path, fields)` with its path (`targets.x`) and its known
  // fields (unknown ones reported).
  using ParseNamed = void (Parser::*)(const Entry& entry,
                                      const std::string& path,
                                      const Fields& fields);
  void parse_named(const Entry& entry,
                   const NamedSection& section,
                   std::vector<std::string>& names,
                   ParseNamed parse_one);
  void parse_version(const Entry& entry);
  void parse_target(const Entry& entry, const std::string& path, const Fields& fields);
  void parse_source(const Entry& entry, const std::string& path, const Fields& fields);
  void parse_http(const Entry& entry, const std::string& source_name, HttpSourceSpec& http);
  void parse_schedule(const Entry& entry, const std::string& path, const Fields& fields);
  void parse_defaults(const Entry& entry);
  void parse_groups(const Entry& entry);
  void parse_group(const YAML::Node& node, Location loc, std::size_t index);
  std::optional<std::vector<PatternVar>> parse_with(const Entry& entry, const std::string& path);
  std::optional<QuerySpec>
  parse_query(const Entry& entry, const std::string& path, const std::string& who);
  std::optional<ValueSpec> parse_value(const Entry& entry,
                                       const std::string& path,
                                       const std::string& who,
                                       bool query_group,
                                       const std::vector<std::string>* template_vars);
  // `{member: C, score: D}`: the two columns, each empty when missing or broken (reported).
  std::pair<std::string, std::string>
  parse_zset(const Entry& entry, const std::string& path, const std::string& who);
  // `{file: PATH}` or `{source: S, get: PATH}`, with an optional `format` (else from the
  // extension) and `field` (required for jsonl and csv, refused for lines and sitemap).
  std::optional<KeysFromSpec>
  parse_keys_from(const Entry& entry, const std::string& path, const std::string& who);

  // `<who>: unknown <noun> "x" (defined: a, b)` unless `name` is in `defined`.
  bool check_reference(const std::string& who,
                       std::string_view noun,
                       const std::string& name,
                       const std::vector<std::string>& defined,
                       Location loc);
  // Checks that a group's source exists and is of a kind `use` allows.
  void check_source(const std::string& who,
                    const std::string& name,
                    Location loc,
                    bool want_http,
                    std::string_view use);

  std::string m_file;
  std::string m_base_dir;
  detail::YamlReader m_reader;
  Manifest m_manifest;
  DefinedNames m_names;
  std::map<std::string, int> m_group_lines; // group name -> line of its first definition
};

bool
Parser::check_reference(const std::string& who,
                        std::string_view noun,
                        const std::string& name,
                        const std::vector<std::string>& defined,
                        Location loc)
{
  if (contains(defined, name)) {
    return true;
  }
  m_reader.error(loc,
                 who + ": unknown " + std::string(noun) + " " + quote(name) + " ("
                     + names_or_none(defined) + ")");
  return false;
}

void
Parser::check_source(const std::string& who,
                     const std::string& name,
                     Location loc,
                     bool want_http,
                     std::string_view use)
{
  if (!check_reference(who, "source", name, m_names.sources, loc)) {
    return;
  }
  const auto found = m_names.source_kinds.find(name);
  if (found == m_names.source_kinds.end()) {
    return; // the source itself is broken and already reported
  }
  const SourceKind kind = found->second;
  if ((kind == SourceKind::http) != want_http) {
    m_reader.error(
        loc,
        who + ": source " + quote(name) + " is a " + std::string(to_string(kind)) + " source; "
            + std::string(use)
            + (want_http ? " needs an http source" : " needs a sqlite or postgres source"));
  }
}

// --- Top level ---------------------------------------------------------------------------

LoadResult
Parser::parse(std::string_view text)
{
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    Location loc = location_of(e.mark);
    if (loc.line == 0) {
      loc = Location{1, 1};
    }
    m_reader.error(loc, e.msg);
    return LoadResult{std::nullopt, m_reader.take_diagnostics()};
  } catch (const std::exception& e) {
    m_reader.error(Location{1, 1}, std::string("cannot parse the manifest: ") + e.what());
    return LoadResult{std::nullopt, m_reader.take_diagnostics()};
  }

  m_manifest.path = m_file;
  m_manifest.dir = m_base_dir;
  try {
    if (!root.IsDefined() || root.IsNull()) {
      m_reader.error(Location{1, 1},
                     "manifest is empty (expected a mapping with version, targets and groups)");
    } else if (!root.IsMap()) {
      m_reader.error(location_of(root.Mark()),
                     "expected a mapping with version, targets and groups at the top level, got "
                         + describe(root));
    } else {
      const Location top = location_of(root.Mark());
      const Fields fields = m_reader.read_fields(root, k_top_fields, "at the top level");
      // Referenced sections come first, whatever the file's order, so groups can check names.
      for (std::string_view required : {"version", "targets", "groups"}) {
        if (fields.find(required) == nullptr) {
          m_reader.error(top, "missing required field " + quote(required) + " at the top level");
        }
      }
      if (const Entry* entry = fields.find("version")) {
        parse_version(*entry);
      }
      if (const Entry* entry = fields.find("targets")) {
        parse_named(*entry, k_targets_section, m_names.targets, &Parser::parse_target);
      }
      if (const Entry* entry = fields.find("sources")) {
        parse_named(*entry, k_sources_section, m_names.sources, &Parser::parse_source);
      }
      if (const Entry* entry = fields.find("schedules")) {
        parse_named(*entry, k_schedules_section, m_names.schedules, &Parser::parse_schedule);
      }
      if (const Entry* entry = fields.find("defaults")) {
        parse_defaults(*entry);
      }
      if (m_manifest.defaults.target.empty() && m_manifest.targets.size() == 1) {
        m_manifest.defaults.target = m_manifest.targets.front().name;
      }
      if (const Entry* entry = fields.find("groups")) {
        parse_groups(*entry);
      }
    }
  } catch (const std::exception& e) {
    // yaml-cpp's accessors can throw on odd trees; never let that escape.
    m_reader.error(Location{1, 1}, std::string("cannot read the manifest: ") + e.what());
  }

  LoadResult result;
  result.diagnostics = m_reader.take_diagnostics();
  if (result.diagnostics.empty()) {
    result.manifest = std::move(m_manifest);
  }
  return result;
}

void
Parser::parse_version(const Entry& entry)
{
  const std::optional<int> version = m_reader.read_int(entry, "version");
  if (version && *version != 1) {
    m_reader.error(entry.value_loc,
                   "version: unsupported manifest version " + std::to_string(*version)
                       + " (expected 1)");
    return;
  }
  m_manifest.version = 1;
}

void
Parser::parse_named(const Entry& entry,
                    const NamedSection& section,
                    std::vector<std::string>& names,
                    ParseNamed parse_one)
{
  const std::string name(section.name);
  if (entry.value.IsNull() && !section.required) {
    return;
  }
  if (!m_reader.expect_mapping(entry.value, entry.value_loc, name, section.expected)) {
    return;
  }
  const std::string noun(section.noun);
  const std::vector<Entry> entries = m_reader.entries_of(entry.value, noun, "in " + name);
  if (entries.empty() && section.required) {
    m_reader.error(entry.value_loc, name + ": at least one " + noun + " is required");
  }
  for (const Entry& named : entries) {
    if (!detail::is_valid_name(named.key)) {
      m_reader.error(named.key_loc,
                     name + ": invalid " + noun + " name " + quote(named.key)
                         + " (use letters, digits, '_', '.' and '-')");
    }
    // Registered even when broken, so that references to it do not add "unknown" errors.
    names.push_back(named.key);
    const std::string path = name + "." + named.key;
    if (!m_reader.expect_mapping(named.value, named.value_loc, path, section.entry_expected)) {
      continue;
    }
    (this->*parse_one)(
        named,
        path,
        m_reader.read_fields(named.value, section.fields, "in " + noun + " " + quote(named.key)));
  }
}

// --- Targets -----------------------------------------------------------------------------

void
Parser::parse_target(const Entry& entry, const std::string& path, const Fields& fields)
{
  TargetSpec target;
  target.name = entry.key;
  target.loc = entry.key_loc;
  if (const Entry* url = fields.find("url")) {
    if (std::optional<std::string> text = m_reader.read_nonempty(*url, path + ".url")) {
      // Never echo the URL: it may hold a password.
      const std::size_t scheme_end = text->find("://");
      if (scheme_end == std::string::npos) {
        m_reader.error(
            url->value_loc,
            path + ".url: expected a URL like redis://host:6379 or unix:///path/to/socket");
      } else {
        const std::string scheme = text->substr(0, scheme_end);
        if (scheme != "redis" && scheme != "unix") {
          m_reader.error(url->value_loc,
                         path + ".url: unsupported scheme " + quote(scheme)
                             + " (expected redis:// or unix://)");
        }
      }
      target.url = std::move(*text);
    }
  } else {
    m_reader.error(entry.value_loc, path + ": missing required field \"url\"");
  }
  if (const Entry* cluster = fields.find("cluster")) {
    target.cluster = m_reader.read_bool(*cluster, path + ".cluster").value_or(false);
  }
  if (const Entry* timeout = fields.find("connect_timeout")) {
    target.connect_timeout = m_reader.read_duration(*timeout, path + ".connect_timeout")
                                 .value_or(target.connect_timeout);
  }
  if (const Entry* timeout = fields.find("timeout")) {
    target.command_timeout =
        m_reader.read_duration(*timeout, path + ".timeout").value_or(target.command_timeout);
  }
  if (const Entry* budget = fields.find("reconnect_budget")) {
    target.reconnect_budget = m_reader.read_duration(*budget, path + ".reconnect_budget")
                                  .value_or(target.reconnect_budget);
  }
  m_manifest.targets.push_back(std::move(target));
}

// --- Sources -----------------------------------------------------------------------------

void
Parser::parse_source(const Entry& entry, const std::string& path, const Fields& fields)
{
  if (fields.entries().empty()) {
    m_reader.error(entry.value_loc, path + ": expected one of sqlite, postgres or http");
    return;
  }
  if (fields.entries().size() > 1) {
    m_reader.error(fields.entries()[1].key_loc,
                   path + ": only one of sqlite, postgres or http may be given (found "
                       + quote(fields.entries()[0].key) + " and " + quote(fields.entries()[1].key)
                       + ")");
    return;
  }
  const Entry& kind_entry = fields.entries().front();
  SourceSpec source;
  source.name = entry.key;
  source.loc = entry.key_loc;
  if (kind_entry.key == "sqlite") {
    source.kind = SourceKind::sqlite;
    if (std::optional<std::string> file = m_reader.read_nonempty(kind_entry, path + ".sqlite")) {
      const bool special = *file == ":memory:" || file->rfind("file:", 0) == 0;
      source.sqlite_path = special ? *file : resolve_path(*file, m_base_dir);
    }
  } else if (kind_entry.key == "postgres") {
    source.kind = SourceKind::postgres;
    source.postgres = m_reader.read_nonempty(kind_entry, path + ".postgres").value_or("");
  } else {
    source.kind = SourceKind::http;
    parse_http(kind_entry, entry.key, source.http);
  }
  // A kind is recorded even for a partly broken source so references to it are still checked.
  m_names.source_kinds.emplace(source.name, source.kind);
  m_manifest.sources.push_back(std::move(source));
}

void
Parser::parse_http(const Entry& entry, const std::string& source_name, HttpSourceSpec& http)
{
  const std::string path = "sources." + source_name + ".http";
  if (!m_reader.expect_mapping(
          entry.value, entry.value_loc, path, "a mapping like {base_url: \"https://...\"}")) {
    return;
  }
  const Fields fields =
      m_reader.read_fields(entry.value, k_http_fields, "in http source " + quote(source_name));
  if (const Entry* base_url = fields.find("base_url")) {
    if (std::optional<std::string> url = m_reader.read_nonempty(*base_url, path + ".base_url")) {
      if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
        m_reader.error(base_url->value_loc,
                       path + ".base_url: expected an http:// or https:// URL");
      }
      http.base_url = std::move(*url);
    }
  } else {
    m_reader.error(entry.value_loc, path + ": missing required field \"base_url\"");
  }
  if (const Entry* headers = fields.find("headers")) {
    if (m_reader.expect_mapping(headers->value,
                                headers->value_loc,
                                path + ".headers",
                                "a mapping of header names to values")) {
      const std::string in_what = "in " + path + ".headers";
      for (const Entry& header : m_reader.entries_of(headers->value, "header", in_what)) {
        const std::string header_path = path + ".headers." + header.key;
        if (header.key.empty()) {
          m_reader.error(header.key_loc, path + ".headers: empty header name");
          continue;
        }
        if (std::optional<std::string> value = m_reader.read_string(header, header_path)) {
          http.headers.emplace_back(header.key, std::move(*value));
        }
      }
    }
  }
  if (const Entry* timeout = fields.find("timeout")) {
    http.timeout = m_reader.read_duration(*timeout, path + ".timeout").value_or(http.timeout);
  }
  if (const Entry* timeout = fields.find("connect_timeout")) {
    http.connect_timeout =
        m_reader.read_duration(*timeout, path + ".connect_timeout").value_or(http.connect_timeout);
  }
  if (const Entry* concurrency = fields.find("concurrency")) {
    http.concurrency =
        m_reader.read_count(*concurrency, path + ".concurrency", 1, k_max_concurrency)
            .value_or(http.concurrency);
  }
  if (const Entry* rate = fields.find("rate")) {
    const std::optional<Rate> parsed = m_reader.read_rate(*rate, path + ".rate");
    if (parsed && parsed->adaptive) {
      m_reader.error(
          rate->value_loc,
          path + ".rate: auto is for groups writing to Redis (expected e.g. 200/s or unlimited)");
    } else {
      http.rate = parsed.value_or(http.rate);
    }
  }
  if (const Entry* retries = fields.find("retries")) {
    http.retries = static_cast<int>(
        m_reader.read_count(*retries, path + ".retries", 0, k_max_retries).value_or(2));
  }
  if (const Entry* max_body = fields.find("max_body")) {
    http.max_body = m_reader.read_size(*max_body, path + ".max_body").value_or(http.max_body);
  }
}

// --- Schedules ---------------------------------------------------------------------------

void
Parser::parse_schedule(const Entry& entry, const std::string& path, const Fields& fields)
{
  ScheduleSpec schedule;
  schedule.name = entry.key;
  schedule.loc = entry.key_loc;

  std::vector<const Entry*> kinds;
  for (const Entry& field : fields.entries()) {
    if (field.key == "peak" || field.key == "dates" || field.key == "cron") {
      kinds.push_back(&field);
    }
  }
  if (kinds.empty()) {
    m_reader.error(entry.value_loc, path + ": expected one of peak, dates or cron");
  } else if (kinds.size() > 1) {
    m_reader.error(kinds[1]->key_loc,
                   path + ": only one of peak, dates or cron may be given (found "
                       + quote(kinds[0]->key) + " and " + quote(kinds[1]->key) + ")");
  }

  if (const Entry* peak = fields.find("peak")) {
    if (std::optional<std::string> text = m_reader.read_string(*peak, path + ".peak")) {
      const std::size_t dash = text->find('-');
      if (dash == std::string::npos || !detail::is_hhmm(text->substr(0, dash))
          || !detail::is_hhmm(text->substr(dash + 1))) {
        m_reader.error(peak->value_loc,
                       path + ".peak: invalid time window " + quote(*text)
                           + " (expected HH:MM-HH:MM)");
      } else {
        schedule.peak = std::move(*text);
      }
    }
  }
  if (const Entry* days = fields.find("days")) {
    if (fields.find("peak") == nullptr) {
      m_reader.error(days->key_loc, path + ": \"days\" is only allowed with \"peak\"");
    } else if (std::optional<std::vector<std::string>> list =
                   m_reader.read_checked_list(*days,
                                              path + ".days",
                                              "day",
                                              detail::is_day_name,
                                              "expected mon, tue, wed, thu, fri, sat or sun")) {
      schedule.days = std::move(*list);
    }
  }
  if (const Entry* dates = fields.find("dates")) {
    if (std::optional<std::vector<std::string>> list = m_reader.read_checked_list(
            *dates, path + ".dates", "date", detail::is_mmdd, "expected MM-DD, e.g. 11-27")) {
      schedule.dates = std::move(*list);
    }
  }
  if (const Entry* at = fields.find("at")) {
    if (fields.find("dates") == nullptr) {
      m_reader.error(at->key_loc, path + ": \"at\" is only allowed with \"dates\"");
    } else if (std::optional<std::string> text = m_reader.read_string(*at, path + ".at")) {
      if (!detail::is_hhmm(*text)) {
        m_reader.error(at->value_loc,
                       path + ".at: invalid time " + quote(*text) + " (expected HH:MM)");
      } else {
        schedule.at = std::move(*text);
      }
    }
  }
  if (const Entry* cron = fields.find("cron")) {
    if (std::optional<std::string> text = m_reader.read_string(*cron, path + ".cron")) {
      const std::size_t count = detail::count_fields(*text);
      if (count != 5) {
        m_reader.error(
            cron->value_loc,
            path + ".cron: expected 5 fields (minute hour day-of-month month day-of-week), got "
                + std::to_string(count));
      } else {
        schedule.cron = std::move(*text);
      }
    }
  }
  if (const Entry* timezone = fields.find("timezone")) {
    if (std::optional<std::string> text = m_reader.read_nonempty(*timezone, path + ".timezone")) {
      schedule.timezone = std::move(*text);
    }
  }
  if (const Entry* lead = fields.find("lead")) {
    schedule.lead = m_reader.read_duration(*lead, path + ".lead").value_or(schedule.lead);
  }
  m_manifest.schedules.push_back(std::move(schedule));
}

// --- Defaults ----------------------------------------------------------------------------

void
Parser::parse_defaults(const Entry& entry)
{
  Defaults& defaults = m_manifest.defaults;
  defaults.loc = entry.value_loc;
  if (entry.value.IsNull()) {
    return;
  }
  if (!m_reader.expect_mapping(entry.value, entry.value_loc, "defaults", "a mapping")) {
    return;
  }
  const Fields fields = m_reader.read_fields(entry.value, k_defaults_fields, "in defaults");
  if (const Entry* target = fields.find("target")) {
    if (std::optional<std::string> name = m_reader.read_nonempty(*target, "defaults.target")) {
      if (check_reference("defaults", "target", *name, m_names.targets, target->value_loc)) {
        defaults.target = std::move(*name);
      }
    }
  }
  if (const Entry* ttl = fields.find("ttl")) {
    defaults.ttl = m_reader.read_duration(*ttl, "defaults.ttl").value_or(defaults.ttl);
  }
  if (const Entry* jitter = fields.find("ttl_jitter")) {
    defaults.ttl_jitter =
        m_reader.read_jitter(*jitter, "defaults.ttl_jitter").value_or(defaults.ttl_jitter);
  }
  if (const Entry* batch = fields.find("batch")) {
    defaults.batch =
        m_reader.read_count(*batch, "defaults.batch", 1, k_max_batch).value_or(defaults.batch);
  }
  if (const Entry* concurrency = fields.find("concurrency")) {
    defaults.concurrency =
        m_reader.read_count(*concurrency, "defaults.concurrency", 1, k_max_concurrency)
            .value_or(defaults.concurrency);
  }
  if (const Entry* rate = fields.find("rate")) {
    defaults.rate = m_reader.read_rate(*rate, "defaults.rate").value_or(defaults.rate);
  }
  if (const Entry* throttle = fields.find("throttle")) {
    defaults.throttle = m_reader.read_throttle(*throttle, "defaults.throttle");
  }
  if (const Entry* only_missing = fields.find("only_missing")) {
    defaults.only_missing =
        m_reader.read_bool(*only_missing, "defaults.only_missing").value_or(defaults.only_missing);
  }
}

// --- Groups ------------------------------------------------------------------------------

void
Parser::parse_groups(const Entry& entry)
{
  if (!entry.value.IsSequence()) {
    m_reader.error(entry.value_loc,
                   "groups: expected a list of groups, got " + describe(entry.value));
    return;
  }
  std::size_t index = 0;
  for (YAML::const_iterator it = entry.value.begin(); it != entry.value.end(); ++it, ++index) {
    const YAML::Node group = *it;
    parse_group(group, detail::location_or(group, entry.value_loc), index);
  }
}

void
Parser::parse_group(const YAML::Node& node, Location loc, std::size_t index)
{
  const std::string position = "groups" + one_based(index);
  if (!m_reader.expect_mapping(node, loc, position, "a mapping")) {
    return;
  }
  // The name labels every other message, so find it before reading anything else.
  std::string label_name;
  for (YAML::const_iterator it = node.begin(); it != node.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == "name" && it->second.IsScalar()) {
      label_name = it->second.Scalar();
      break;
    }
  }
  const std::string path =
      label_name.empty() ? position : position + " (" + quote(label_name) + ")";
  const std::string who = label_name.empty() ? position : "group " + quote(label_name);

  const Fields fields = m_reader.read_fields(node, k_group_fields, "in " + who);
  GroupSpec group;
  group.loc = loc;
  group.targets_loc = loc;

  if (const Entry* name = fields.find("name")) {
    if (std::optional<std::string> text = m_reader.read_string(*name, position + ".name")) {
      if (!detail::is_valid_name(*text)) {
        m_reader.error(name->value_loc,
                       position + ".name: invalid group name " + quote(*text)
                           + " (use letters, digits, '_', '.' and '-')");
      } else if (const auto seen = m_group_lines.find(*text); seen != m_group_lines.end()) {
        m_reader.error(name->value_loc,
                       position + ".name: duplicate group name " + quote(*text)
                           + " (first defined at line " + std::to_string(seen->second) + ")");
      } else {
        m_group_lines.emplace(*text, name->value_loc.line);
      }
      group.name = std::move(*text);
    }
  } else {
    m_reader.error(loc, path + ": missing required field \"name\"");
  }

  if (const Entry* priority = fields.find("priority")) {
    group.priority = m_reader.read_int(*priority, path + ".priority").value_or(0);
  }
  if (const Entry* schedule = fields.find("schedule")) {
    if (std::optional<std::string> text = m_reader.read_nonempty(*schedule, path + ".schedule")) {
      check_reference(who, "schedule", *text, m_names.schedules, schedule->value_loc);
      group.schedule = std::move(*text);
    }
  }

  // Key source: exactly one of keys, pattern, query, keys_from.
  std::vector<const Entry*> key_sources;
  for (const Entry& field : fields.entries()) {
    if (field.key == "keys" || field.key == "pattern" || field.key == "query"
        || field.key == "keys_from") {
      key_sources.push_back(&field);
    }
  }
  if (key_sources.empty()) {
    m_reader.error(loc, path + ": missing a key source (one of keys, pattern, query or keys_from)");
  } else {
    group.keys_loc = key_sources.front()->value_loc;
    if (key_sources.size() > 1) {
      m_reader.error(
          key_sources[1]->key_loc,
          path + ": " + quote(key_sources[1]->key) + " cannot be combined with "
              + quote(key_sources[0]->key)
              + " (a group has exactly one key source: keys, pattern, query or keys_from)");
    }
  }
  const Entry* keys = fields.find("keys");
  const Entry* pattern = fields.find("pattern");
  const Entry* with = fields.find("with");
  const Entry* query = fields.find("query");
  const Entry* keys_from = fields.find("keys_from");
  const Entry* key = fields.find("key");
  if (with != nullptr && pattern == nullptr) {
    m_reader.error(with->key_loc, path + ": \"with\" is only allowed with \"pattern\"");
  }
  if (pattern != nullptr && with == nullptr) {
    m_reader.error(pattern->key_loc, path + ": \"pattern\" requires \"with\"");
  }
  if (key != nullptr && query == nullptr && keys_from == nullptr) {
    m_reader.error(key->key_loc,
                   path + ": \"key\" is only allowed with \"query\" or \"keys_from\"");
  }
  if (query != nullptr && key == nullptr) {
    m_reader.error(query->key_loc, path + ": \"query\" requires \"key\"");
  }

  if (keys != nullptr) {
    group.keys =
        m_reader.read_string_list(*keys, path + ".keys", "key", false).value_or(group.keys);
  }
  std::optional<std::vector<std::string>> pattern_vars;
  if (pattern != nullptr) {
    if (std::optional<std::string> text = m_reader.read_nonempty(*pattern, path + ".pattern")) {
      pattern_vars = m_reader.check_template(*text, pattern->value_loc, path + ".pattern", nullptr);
      group.pattern = std::move(*text);
    }
  }
  std::optional<std::vector<PatternVar>> with_vars;
  if (with != nullptr) {
    with_vars = parse_with(*with, path + ".with");
    if (with_vars) {
      group.with = *with_vars;
    }
  }
  // Pattern and `with` must match exactly: an unknown variable cannot be rendered and an unused
  // one would write every key several times.
  std::vector<std::string> template_vars = {"key"};
  if (pattern_vars && with_vars) {
    std::vector<std::string> defined;
    for (const PatternVar& var : *with_vars) {
      defined.push_back(var.name);
      template_vars.push_back(var.name);
    }
    for (const std::string& variable : *pattern_vars) {
      if (!contains(defined, variable)) {
        m_reader.error(pattern->value_loc,
                       path + ".pattern: variable {" + variable + "} is not defined in \"with\" ("
                           + names_or_none(defined) + ")");
      }
    }
    for (const PatternVar& var : *with_vars) {
      if (!contains(*pattern_vars, var.name)) {
        m_reader.error(var.loc,
                       path + ".with." + var.name + ": variable " + quote(var.name)
                           + " is not used in the pattern");
      }
    }
  }
  if (query != nullptr) {
    group.query = parse_query(*query, path + ".query", who);
  }
  if (keys_from != nullptr) {
    group.keys_from = parse_keys_from(*keys_from, path + ".keys_from", who);
  }
  if (key != nullptr) {
    if (std::optional<std::string> text = m_reader.read_nonempty(*key, path + ".key")) {
      // The variables are query columns or keys_from fields, only known when reading, but a
      // template without any would write every row to the same key.
      std::optional<std::vector<std::string>> vars =
          m_reader.check_template(*text, key->value_loc, path + ".key", nullptr);
      if (vars && vars->empty()) {
        m_reader.error(
            key->value_loc,
            path
                + (query != nullptr
                       ? ".key: the key template has no {column} variable, so every row would "
                         "write the same key"
                       : ".key: the key template has no variable, so every key read would "
                         "write the same key"));
      }
      group.key = std::move(*text);
    }
  }

  if (const Entry* value = fields.find("value")) {
    // Query columns and keys_from fields are only known at run time; other groups have a closed
    // set of variables.
    const bool query_group =
        query != nullptr && keys == nullptr && pattern == nullptr && keys_from == nullptr;
    const bool check_vars =
        !query_group && keys_from == nullptr && (pattern == nullptr || (pattern_vars && with_vars));
    group.value = parse_value(
        *value, path + ".value", who, query_group, check_vars ? &template_vars : nullptr);
  } else {
    m_reader.error(loc, path + ": missing required field \"value\"");
  }

  if (const Entry* ttl = fields.find("ttl")) {
    group.ttl = m_reader.read_duration(*ttl, path + ".ttl");
  }
  if (const Entry* jitter = fields.find("ttl_jitter")) {
    group.ttl_jitter = m_reader.read_jitter(*jitter, path + ".ttl_jitter");
  }
  if (const Entry* only_missing = fields.find("only_missing")) {
    group.only_missing = m_reader.read_bool(*only_missing, path + ".only_missing");
  }
  if (const Entry* batch = fields.find("batch")) {
    group.batch = m_reader.read_count(*batch, path + ".batch", 1, k_max_batch);
  }
  if (const Entry* concurrency = fields.find("concurrency")) {
    group.concurrency =
        m_reader.read_count(*concurrency, path + ".concurrency", 1, k_max_concurrency);
  }
  if (const Entry* rate = fields.find("rate")) {
    group.rate = m_reader.read_rate(*rate, path + ".rate");
  }
  if (const Entry* throttle = fields.find("throttle")) {
    group.throttle = m_reader.read_throttle(*throttle, path + ".throttle");
  }

  // Targets: `target: x` or `targets: [x, y]`, else defaults.target (or the only target).
  const Entry* target = fields.find("target");
  const Entry* targets = fields.find("targets");
  if (target != nullptr && targets != nullptr) {
    const Entry* second = target->key_loc.line > targets->key_loc.line
                                  || (target->key_loc.line == targets->key_loc.line
                                      && target->key_loc.column > targets->key_loc.column)
                              ? target
                              : targets;
    m_reader.error(second->key_loc, path + ": \"target\" and \"targets\" cannot both be given");
  } else if (target != nullptr) {
    group.targets_loc = target->value_loc;
    if (std::optional<std::string> name = m_reader.read_nonempty(*target, path + ".target")) {
      check_reference(who, "target", *name, m_names.targets, target->value_loc);
      group.targets.push_back(std::move(*name));
    }
  } else if (targets != nullptr) {
    group.targets_loc = targets->value_loc;
    if (std::optional<detail::StringList> list =
            m_reader.read_located_strings(*targets, path + ".targets", "target", false)) {
      const std::vector<std::string>& names = list->items;
      for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string& name = names[i];
        const auto earlier = names.begin() + static_cast<std::ptrdiff_t>(i);
        if (std::find(names.begin(), earlier, name) != earlier) {
          m_reader.error(list->locs[i],
                         path + ".targets" + one_based(i) + ": duplicate target " + quote(name));
          continue;
        }
        check_reference(who, "target", name, m_names.targets, list->locs[i]);
      }
      group.targets = std::move(list->items);
    }
  } else if (m_manifest.defaults.target.empty() && m_names.targets.size() > 1) {
    m_reader.error(loc,
                   who + ": no target given and several are defined ("
                       + detail::join(m_names.targets)
                       + "); set \"target\" in the group or \"defaults.target\"");
  }

  m_manifest.groups.push_back(std::move(group));
}

std::optional<std::vector<PatternVar>>
Parser::parse_with(const Entry& entry, const std::string& path)
{
  if (!m_reader.expect_mapping(
          entry.value, entry.value_loc, path, "a mapping of variable names to ranges or lists")) {
    return std::nullopt;
  }
  const std::vector<Entry> entries = m_reader.entries_of(entry.value, "variable", "in " + path);
  if (entries.empty()) {
    m_reader.error(entry.value_loc, path + ": expected at least one variable");
    return std::nullopt;
  }
  std::vector<PatternVar> vars;
  bool ok = true;
  for (const Entry& var_entry : entries) {
    const std::string var_path = path + "." + var_entry.key;
    PatternVar var;
    var.name = var_entry.key;
    var.loc = var_entry.key_loc;
    if (!detail::is_valid_name(var.name)) {
      m_reader.error(var_entry.key_loc,
                     path + ": invalid variable name " + quote(var.name)
                         + " (use letters, digits, '_', '.' and '-')");
      ok = false;
    } else if (var.name == "key") {
      m_reader.error(var_entry.key_loc, var_path + ": \"key\" is reserved for the rendered key");
      ok = false;
    }
    if (var_entry.value.IsSequence()) {
      std::optional<std::vector<std::string>> values =
          m_reader.read_string_list(var_entry, var_path, "value", false);
      if (!values) {
        ok = false;
        continue;
      }
      var.values = std::move(*values);
    } else if (var_entry.value.IsScalar()) {
      std::optional<std::string> text = m_reader.read_string(var_entry, var_path);
      if (!text) {
        ok = false;
        continue;
      }
      // A scalar with ".." is a range; a literal value containing ".." goes in a list.
      if (text->find("..") != std::string::npos) {
        core::Result<Range> range = parse_range(*text);
        if (!range) {
          m_reader.error(var_entry.value_loc, var_path + ": " + range.error().message);
          ok = false;
          continue;
        }
        var.range = *range;
      } else if (text->empty()) {
        m_reader.error(var_entry.value_loc, var_path + ": expected a non-empty string");
        ok = false;
        continue;
      } else {
        var.values.push_back(std::move(*text));
      }
    } else {
      m_reader.error(var_entry.value_loc,
                     var_path
                         + ": expected a range like \"1..5000\", a list or a single value, got "
                         + describe(var_entry.value));
      ok = false;
      continue;
    }
    vars.push_back(std::move(var));
  }
  if (!ok) {
    return std::nullopt;
  }
  return vars;
}

std::optional<QuerySpec>
Parser::parse_query(const Entry& entry, const std::string& path, const std::string& who)
{
  if (!m_reader.expect_mapping(
          entry.value, entry.value_loc, path, "a mapping like {source: db, sql: \"SELECT ...\"}")) {
    return std::nullopt;
  }
  const Fields fields = m_reader.read_fields(entry.value, k_query_fields, "in the query of " + who);
  QuerySpec query;
  query.loc = entry.value_loc;
  if (const Entry* source = fields.find("source")) {
    if (std::optional<std::string> name = m_reader.read_nonempty(*source, path + ".source")) {
      check_source(who, *name, source->value_loc, false, "\"query\"");
      query.source = std::move(*name);
    }
  } else {
    m_reader.error(entry.value_loc, path + ": missing required field \"source\"");
  }
  if (const Entry* sql = fields.find("sql")) {
    query.sql = m_reader.read_nonempty(*sql, path + ".sql").value_or("");
  } else {
    m_reader.error(entry.value_loc, path + ": missing required field \"sql\"");
  }
  return query;
}

std::optional<KeysFromSpec>
Parser::parse_keys_from(const Entry& entry, const std::string& path, const std::string& who)
{
  if (!m_reader.expect_mapping(
          entry.value,
          entry.value_loc,
          path,
          "a mapping like {file: keys.txt} or {source: api, get: /keys.json}")) {
    return std::nullopt;
  }
  const Fields fields =
      m_reader.read_fields(entry.value, k_keys_from_fields, "in the keys_from of " + who);
  const Entry* file = fields.find("file");
  const Entry* source = fields.find("source");
  const Entry* get = fields.find("get");
  if (file == nullptr && get == nullptr) {
    m_reader.error(entry.value_loc,
                   path
                       + (source != nullptr ? ": \"source\" needs \"get\""
                                            : ": expected {file: PATH} or {source: S, get: PATH}"));
    return std::nullopt;
  }
  if (file != nullptr && get != nullptr) {
    const bool file_first = std::pair(file->key_loc.line, file->key_loc.column)
                            < std::pair(get->key_loc.line, get->key_loc.column);
    const Entry& second = file_first ? *get : *file;
    m_reader.error(second.key_loc,
                   path + ": " + quote(file_first ? "file" : "get") + " and "
                       + quote(file_first ? "get" : "file") + " cannot be combined");
    return std::nullopt;
  }
  KeysFromSpec spec;
  spec.loc = entry.value_loc;
  // The format from the path's extension; nullopt while the path is unreadable, so that a
  // broken path does not also raise "field" complaints.
  std::optional<KeyFormat> format;
  if (file != nullptr) {
    if (source != nullptr) {
      m_reader.error(source->key_loc, path + ": \"source\" is not allowed with \"file\"");
    }
    if (std::optional<std::string> text = m_reader.read_nonempty(*file, path + ".file")) {
      spec.file = resolve_path(*text, m_base_dir);
      format = detail::key_format_for_path(*text);
    }
  } else {
    if (source == nullptr) {
      m_reader.error(entry.value_loc, path + ": \"get\" needs \"source\"");
    } else if (std::optional<std::string> name =
                   m_reader.read_nonempty(*source, path + ".source")) {
      check_source(who, *name, source->value_loc, true, "\"keys_from.get\"");
      spec.source = std::move(*name);
    }
    if (std::optional<std::string> text = m_reader.read_nonempty(*get, path + ".get")) {
      // The document is fetched once, before any key exists, so there is nothing to render.
      if (std::optional<std::vector<std::string>> vars =
              m_reader.check_template(*text, get->value_loc, path + ".get", nullptr);
          vars && !vars->empty()) {
        std::string found;
        for (const std::string& variable : *vars) {
          found += (found.empty() ? "{" : ", {") + variable + "}";
        }
        m_reader.error(get->value_loc,
                       path + ".get: template variables are not allowed here (found " + found
                           + ")");
      }
      format = detail::key_format_for_path(*text);
      spec.get = std::move(*text);
    }
  }
  const Entry* format_entry = fields.find("format");
  if (format_entry != nullptr) {
    format.reset();
    if (std::optional<std::string> name = m_reader.read_nonempty(*format_entry, path + ".format")) {
      format = detail::key_format_named(*name);
      if (!format) {
        m_reader.error(format_entry->value_loc,
                       path + ".format: invalid format " + quote(*name)
                           + " (expected lines, jsonl, csv, json or sitemap)");
      }
    }
  }
  const Entry* field = fields.find("field");
  if (!format) {
    if (field != nullptr) {
      spec.field = m_reader.read_nonempty(*field, path + ".field").value_or("");
    }
    return spec;
  }
  spec.format = *format;
  const std::string format_name(detail::key_format_name(*format));
  if (field != nullptr) {
    if (*format == KeyFormat::lines || *format == KeyFormat::sitemap) {
      m_reader.error(field->key_loc,
                     path + ": \"field\" is not allowed with format " + format_name);
    } else {
      spec.field = m_reader.read_nonempty(*field, path + ".field").value_or("");
    }
  } else if (*format == KeyFormat::jsonl || *format == KeyFormat::csv) {
    m_reader.error(format_entry != nullptr ? format_entry->value_loc : entry.value_loc,
                   path + ": format " + format_name + " needs \"field\"");
  }
  return spec;
}

std::optional<ValueSpec>
Parser::parse_value(const Entry& entry,
                    const std::string& path,
                    const std::string& who,
                    bool query_group,
                    const std::vector<std::string>* template_vars)
{
  if (!m_reader.expect_mapping(
          entry.value,
          entry.value_loc,
          path,
          "a mapping like {text: ...}, {column: ...} or {source: ..., get: ...}")) {
    return std::nullopt;
  }
  const Fields fields = m_reader.read_fields(entry.value, k_value_fields, "in the value of " + who);
  std::vector<const Entry*> kinds;
  for (const Entry& field : fields.entries()) {
    if (is_one_of(k_value_kinds, field.key)) {
      kinds.push_back(&field);
    }
  }
  if (kinds.empty()) {
    const auto get_only =
        std::find_if(fields.entries().begin(), fields.entries().end(), [](const Entry& field) {
          return is_one_of(k_get_only_fields, field.key);
        });
    if (fields.find("source") != nullptr) {
      m_reader.error(entry.value_loc, path + ": \"source\" needs \"sql\" or \"get\"");
    } else if (get_only != fields.entries().end()) {
      m_reader.error(get_only->key_loc, path + ": " + quote(get_only->key) + " needs \"get\"");
    } else {
      m_reader.error(entry.value_loc,
                     path
                         + ": expected one of {column: C}, {hash: [C...]}, {set: C}, {list: C}, "
                           "{zset: {member: C, score: D}}, {source, sql, params}, "
                           "{source, get, json_pointer, hash_from_json} or {text: T}");
    }
    return std::nullopt;
  }
  if (kinds.size() > 1) {
    m_reader.error(kinds[1]->key_loc,
                   path + ": " + quote(kinds[0]->key) + " and " + quote(kinds[1]->key)
                       + " cannot be combined");
    return std::nullopt;
  }
  const Entry& kind = *kinds.front();
  ValueSpec value;
  value.loc = entry.value_loc;
  // The companions each kind accepts besides itself.
  std::vector<std::string_view> companions;
  if (kind.key == "sql") {
    companions = {"source", "params"};
  } else if (kind.key == "get") {
    companions = {"source", "json_pointer", "hash_from_json"};
  }
  bool ok = true;
  for (const Entry& field : fields.entries()) {
    if (&field == &kind
        || std::find(companions.begin(), companions.end(), field.key) != companions.end()) {
      continue;
    }
    if (is_one_of(k_get_only_fields, field.key)) {
      m_reader.error(field.key_loc, path + ": " + quote(field.key) + " needs \"get\"");
    } else {
      m_reader.error(field.key_loc,
                     path + ": " + quote(field.key) + " is not allowed with " + quote(kind.key));
    }
    ok = false;
  }
  if (is_one_of(k_row_value_kinds, kind.key) && !query_group) {
    m_reader.error(kind.key_loc,
                   path + ": " + quote(kind.key) + " is only allowed in a group with a \"query\"");
    ok = false;
  }

  if (kind.key == "column") {
    value.kind = ValueKind::column;
    value.column = m_reader.read_nonempty(kind, path + ".column").value_or("");
  } else if (kind.key == "hash") {
    value.kind = ValueKind::hash;
    value.hash_columns = m_reader.read_string_list(kind, path + ".hash", "column", false)
                             .value_or(std::vector<std::string>{});
  } else if (kind.key == "set" || kind.key == "list") {
    value.kind = kind.key == "set" ? ValueKind::set : ValueKind::list;
    value.member = m_reader.read_nonempty(kind, path + "." + kind.key).value_or("");
  } else if (kind.key == "zset") {
    value.kind = ValueKind::zset;
    std::tie(value.member, value.score) = parse_zset(kind, path + ".zset", who);
  } else if (kind.key == "text") {
    value.kind = ValueKind::text;
    if (std::optional<std::string> text = m_reader.read_string(kind, path + ".text")) {
      m_reader.check_template(*text, kind.value_loc, path + ".text", template_vars);
      value.text = std::move(*text);
    }
  } else {
    const bool http = kind.key == "get";
    value.kind = http ? ValueKind::lookup_http : ValueKind::lookup_sql;
    if (const Entry* source = fields.find("source")) {
      if (std::optional<std::string> name = m_reader.read_nonempty(*source, path + ".source")) {
        check_source(who, *name, source->value_loc, http, http ? "\"get\"" : "\"sql\"");
        value.source = std::move(*name);
      }
    } else {
      m_reader.error(entry.value_loc, path + ": " + quote(kind.key) + " needs \"source\"");
    }
    if (http) {
      if (std::optional<std::string> get = m_reader.read_nonempty(kind, path + ".get")) {
        m_reader.check_template(*get, kind.value_loc, path + ".get", template_vars);
        value.get = std::move(*get);
      }
      if (const Entry* pointer = fields.find("json_pointer")) {
        if (std::optional<std::string> text =
                m_reader.read_string(*pointer, path + ".json_pointer")) {
          if (!text->empty() && text->front() != '/') {
            m_reader.error(pointer->value_loc,
                           path + ".json_pointer: invalid JSON pointer " + quote(*text)
                               + " (expected \"\" or a path starting with \"/\")");
          }
          value.json_pointer = std::move(*text);
        }
      }
      if (const Entry* hash_from_json = fields.find("hash_from_json")) {
        value.hash_from_json =
            m_reader.read_bool(*hash_from_json, path + ".hash_from_json").value_or(false);
      }
    } else {
      value.sql = m_reader.read_nonempty(kind, path + ".sql").value_or("");
      if (const Entry* params = fields.find("params")) {
        if (std::optional<detail::StringList> list =
                m_reader.read_located_strings(*params, path + ".params", "parameter", true)) {
          for (std::size_t i = 0; i < list->items.size(); ++i) {
            m_reader.check_template(
                list->items[i], list->locs[i], path + ".params" + one_based(i), template_vars);
          }
          value.params = std::move(list->items);
        }
      }
    }
  }
  if (!ok) {
    return std::nullopt;
  }
  return value;
}

std::pair<std::string, std::string>
Parser::parse_zset(const Entry& entry, const std::string& path, const std::string& who)
{
  if (!m_reader.expect_mapping(
          entry.value, entry.value_loc, path, "a mapping like {member: C, score: D}")) {
    return {};
  }
  const Fields fields = m_reader.read_fields(entry.value, k_zset_fields, "in the zset of " + who);
  std::pair<std::string, std::string> columns;
  if (const Entry* member = fields.find("member")) {
    columns.first = m_reader.read_nonempty(*member, path + ".member").value_or("");
  } else {
    m_reader.error(entry.value_loc, path + ": missing required field \"member\"");
  }
  if (const Entry* score = fields.find("score")) {
    columns.second = m_reader.read_nonempty(*score, path + ".score").value_or("");
  } else {
    m_reader.error(entry.value_loc, path + ": missing required field \"score\"");
  }
  return columns;
}

} // namespace

EnvLookup
process_env()
{
  return [](std::string_view name) -> std::optional<std::string> {
    const std::string key(name);
    const char* value = std::getenv(key.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

LoadResult
parse_manifest(std::string_view text,
               std::string_view file_name,
               std::string_view base_dir,
               const EnvLookup& env)
{
  try {
    Parser parser(file_name, base_dir, env);
    return parser.parse(text);
  } catch (const std::exception& e) {
    // Last resort (e.g. bad_alloc): still a diagnostic, never an exception.
    LoadResult result;
    result.diagnostics.push_back(Diagnostic{
        std::string(file_name), Location{}, std::string("cannot parse the manifest: ") + e.what()});
    return result;
  }
}

LoadResult
load_manifest(std::string_view path, const EnvLookup& env)
{
  const std::string file(path);
  auto unreadable = [&](std::string reason) {
    if (!reason.empty()) {
      reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    }
    LoadResult result;
    result.diagnostics.push_back(
        Diagnostic{file, Location{}, "cannot read the manifest: " + std::move(reason)});
    return result;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    return unreadable("is a directory");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return unreadable(std::generic_category().message(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    return unreadable("read error");
  }
  const std::string base_dir = std::filesystem::path(file).parent_path().string();
  return parse_manifest(content.str(), file, base_dir, env);
}

} // namespace cachewarm::manifest
