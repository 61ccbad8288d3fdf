// Loads a manifest with yaml-cpp and validates it in one walk. This file reads the top level
// (version, targets, sources, schedules, defaults and the list of groups); parse_group.cpp reads
// each group and yaml_reader.cpp the typed values. Every problem becomes a Diagnostic and the walk
// goes on, so `validate` can list them all; no yaml-cpp exception leaves parse_manifest.

#include "cachewarm/manifest/parse.hpp"

#include "parse_detail.hpp"
#include "text_checks_detail.hpp"
#include "yaml_reader_detail.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace cachewarm::manifest {

namespace {

using detail::describe;
using detail::Entry;
using detail::Fields;
using detail::location_of;
using detail::quote;

using detail::k_max_batch;
using detail::k_max_concurrency;

constexpr std::size_t k_max_retries = 100;

constexpr std::string_view k_top_fields[] = {
    "version", "targets", "sources", "schedules", "defaults", "groups"};
constexpr std::string_view k_source_fields[] = {"sqlite", "postgres", "http"};
// clang-format off
constexpr std::string_view k_http_fields[] = {
    "base_url", "headers", "timeout", "connect_timeout", "concurrency", "rate", "retries",
    "max_body"};
// clang-format on
constexpr std::string_view k_schedule_fields[] = {
    "peak", "days", "dates", "at", "cron", "timezone", "lead"};
// The fields that say when a schedule is due; exactly one must be present.
constexpr std::string_view k_schedule_kinds[] = {"peak", "dates", "cron"};
constexpr std::string_view k_defaults_fields[] = {
    "target", "ttl", "ttl_jitter", "batch", "concurrency", "rate", "throttle", "only_missing"};

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
                                         detail::k_target_fields,
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
  void expand_segments();

  std::string m_file;
  std::string m_base_dir;
  detail::YamlReader m_reader;
  Manifest m_manifest;
  detail::DefinedNames m_names;
};

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
  m_manifest.targets.push_back(detail::parse_target(m_reader, entry, path, fields, m_base_dir));
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
      source.sqlite_path = special ? *file : detail::resolve_path(*file, m_base_dir);
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

  const std::vector<const Entry*> kinds = fields.among(k_schedule_kinds);
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
      if (m_reader.check_reference(
              "defaults", "target", *name, m_names.targets, target->value_loc)) {
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
  detail::GroupParser groups(m_reader,
                             detail::GroupContext{m_names, m_base_dir, m_manifest.defaults.target});
  std::size_t index = 0;
  for (YAML::const_iterator it = entry.value.begin(); it != entry.value.end(); ++it, ++index) {
    const YAML::Node node = *it;
    if (std::optional<GroupSpec> group =
            groups.parse(node, detail::location_or(node, entry.value_loc), index)) {
      m_manifest.groups.push_back(std::move(*group));
    }
  }
  expand_segments();
}

// Replaces each group with `targets_by_segment` by one group per segment (NAME.SEGMENT), in its
// place: the copy writes to the segment's target and predicts from the segment's requests.
void
Parser::expand_segments()
{
  std::set<std::string, std::less<>> names;
  for (const GroupSpec& group : m_manifest.groups) {
    names.insert(group.name);
  }
  std::vector<GroupSpec> expanded;
  for (GroupSpec& group : m_manifest.groups) {
    if (group.targets_by_segment.empty()) {
      expanded.push_back(std::move(group));
      continue;
    }
    for (const auto& [segment, target] : group.targets_by_segment) {
      GroupSpec copy = group;
      copy.targets_by_segment.clear();
      copy.family = group.name;
      copy.name = group.name + "." + segment;
      copy.targets = {target};
      if (copy.keys_from && copy.keys_from->access_log) {
        copy.keys_from->access_log->segment = segment;
      }
      if (names.contains(copy.name)) {
        m_reader.error(group.loc,
                       "group " + quote(group.name) + ": its segment " + quote(segment)
                           + " would be the group " + quote(copy.name)
                           + ", a name another group has");
      }
      expanded.push_back(std::move(copy));
    }
  }
  m_manifest.groups = std::move(expanded);
}

} // namespace

namespace detail {

std::string
resolve_path(const std::string& path, const std::string& base_dir)
{
  std::filesystem::path resolved(path);
  if (resolved.is_relative() && !base_dir.empty()) {
    resolved = std::filesystem::path(base_dir) / resolved;
  }
  return resolved.string();
}

} // namespace detail

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
