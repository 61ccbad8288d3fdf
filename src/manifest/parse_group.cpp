// One entry of `groups:`: its identity (name, priority, schedule), its key source (keys,
// pattern + with, query or keys_from, and the key template), its value (parse_value.cpp), and
// how it writes (ttl, jitter, only_missing, batch, concurrency, rate, throttle, targets). Read in
// that order, which is also the order of its diagnostics at equal positions.

#include "parse_detail.hpp"
#include "text_checks_detail.hpp"
#include "yaml_reader_detail.hpp"

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/manifest/units.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cachewarm::manifest::detail {

namespace {

constexpr std::string_view k_group_fields[] = {
    "name",         "priority",   "schedule",    "keys",    "pattern",
    "with",         "query",      "keys_from",   "key",     "value",
    "ttl",          "ttl_jitter", "target",      "targets", "targets_by_segment",
    "only_missing", "batch",      "concurrency", "rate",    "throttle"};
// The fields that give a group its keys; exactly one must be present.
constexpr std::string_view k_key_sources[] = {"keys", "pattern", "query", "keys_from"};
constexpr std::string_view k_query_fields[] = {"source", "sql"};
constexpr std::string_view k_keys_from_fields[] = {"file",
                                                   "source",
                                                   "get",
                                                   "format",
                                                   "field",
                                                   "access_log",
                                                   "top",
                                                   "cover",
                                                   "max_keys",
                                                   "snapshot"};

// Of two fields of one mapping, the one written last (where "cannot be combined" points).
const Entry&
written_last(const Entry& a, const Entry& b)
{
  return std::pair(a.key_loc.line, a.key_loc.column) < std::pair(b.key_loc.line, b.key_loc.column)
             ? b
             : a;
}

} // namespace

GroupParser::GroupParser(YamlReader& reader, GroupContext context)
    : m_reader(reader)
    , m_context(std::move(context))
{}

std::optional<GroupSpec>
GroupParser::parse(const YAML::Node& node, Location loc, std::size_t index)
{
  const std::string position = "groups" + one_based(index);
  if (!m_reader.expect_mapping(node, loc, position, "a mapping")) {
    return std::nullopt;
  }
  // The name labels every other message, so find it before reading anything else.
  std::string label_name;
  for (YAML::const_iterator it = node.begin(); it != node.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == "name" && it->second.IsScalar()) {
      label_name = it->second.Scalar();
      break;
    }
  }
  Labels labels;
  labels.position = position;
  labels.path = label_name.empty() ? position : position + " (" + quote(label_name) + ")";
  labels.who = label_name.empty() ? position : "group " + quote(label_name);
  labels.loc = loc;

  const Fields fields = m_reader.read_fields(node, k_group_fields, "in " + labels.who);
  GroupSpec group;
  group.loc = loc;
  group.targets_loc = loc;
  read_identity(labels, fields, group);
  const KeyVariables vars = read_key_source(labels, fields, group);
  if (const Entry* value = fields.find("value")) {
    group.value = parse_value(*value, labels, vars);
  } else {
    m_reader.error(loc, labels.path + ": missing required field \"value\"");
  }
  read_write_policy(labels, fields, group);
  check_combinations(labels, fields, group);
  return group;
}

void
GroupParser::check_combinations(const Labels& labels, const Fields& fields, const GroupSpec& group)
{
  if (group.keys_from && group.keys_from->access_log && !group.keys_from->access_log->by.empty()
      && fields.find("targets_by_segment") == nullptr) {
    m_reader.error(group.keys_from->access_log->loc,
                   labels.path
                       + ".keys_from.access_log: \"by\" needs \"targets_by_segment\" in the group "
                         "(which segment goes to which target)");
  }
  const bool snapshot = group.keys_from && !group.keys_from->snapshot.empty();
  if (const Entry* key = fields.find("key"); key != nullptr && snapshot) {
    m_reader.error(key->key_loc,
                   labels.path
                       + ": \"key\" is not allowed with keys_from snapshot (its keys are "
                         "the snapshot's own)");
  }
  const bool restore = group.value && group.value->kind == ValueKind::restore;
  if (!restore) {
    return;
  }
  if (!group.keys_from || group.keys_from->snapshot.empty()) {
    if (fields.find("keys_from") == nullptr || group.keys_from) { // else already reported
      m_reader.error(group.value->loc,
                     labels.path
                         + ".value: {restore: snapshot} needs \"keys_from: {snapshot: FILE}\"");
    }
    return;
  }
  for (const char* name : {"ttl", "ttl_jitter"}) {
    if (const Entry* found = fields.find(name)) {
      m_reader.error(found->key_loc,
                     labels.path + ": " + quote(name)
                         + " does not apply with {restore: snapshot} (a restored key keeps the "
                           "TTL it had when the snapshot was taken)");
    }
  }
}

// --- Identity ----------------------------------------------------------------------------

void
GroupParser::read_identity(const Labels& labels, const Fields& fields, GroupSpec& group)
{
  const std::string& path = labels.path;
  if (const Entry* name = fields.find("name")) {
    const std::string name_path = labels.position + ".name";
    if (std::optional<std::string> text = m_reader.read_string(*name, name_path)) {
      if (!is_valid_name(*text)) {
        m_reader.error(name->value_loc,
                       name_path + ": invalid group name " + quote(*text)
                           + " (use letters, digits, '_', '.' and '-')");
      } else if (const auto seen = m_group_lines.find(*text); seen != m_group_lines.end()) {
        m_reader.error(name->value_loc,
                       name_path + ": duplicate group name " + quote(*text)
                           + " (first defined at line " + std::to_string(seen->second) + ")");
      } else {
        m_group_lines.emplace(*text, name->value_loc.line);
      }
      group.name = std::move(*text);
    }
  } else {
    m_reader.error(labels.loc, path + ": missing required field \"name\"");
  }
  if (const Entry* priority = fields.find("priority")) {
    group.priority = m_reader.read_int(*priority, path + ".priority").value_or(0);
  }
  if (const Entry* schedule = fields.find("schedule")) {
    if (std::optional<std::string> text = m_reader.read_nonempty(*schedule, path + ".schedule")) {
      m_reader.check_reference(
          labels.who, "schedule", *text, m_context.names.schedules, schedule->value_loc);
      group.schedule = std::move(*text);
    }
  }
}

// --- Key source --------------------------------------------------------------------------

GroupParser::KeyVariables
GroupParser::read_key_source(const Labels& labels, const Fields& fields, GroupSpec& group)
{
  check_key_source_fields(labels, fields, group);
  const Entry* keys = fields.find("keys");
  const Entry* pattern = fields.find("pattern");
  const Entry* query = fields.find("query");
  const Entry* keys_from = fields.find("keys_from");
  if (keys != nullptr) {
    group.keys =
        m_reader.read_string_list(*keys, labels.path + ".keys", "key", false).value_or(group.keys);
  }
  const bool pattern_ok = read_pattern(labels, fields, group);
  if (query != nullptr) {
    group.query = parse_query(*query, labels);
  }
  if (keys_from != nullptr) {
    group.keys_from = parse_keys_from(*keys_from, labels);
  }
  if (const Entry* key = fields.find("key")) {
    read_key_template(labels, *key, query != nullptr, group);
  }

  // Query columns and keys_from fields are only known at run time; other groups have a closed
  // set of variables (unless a broken pattern or `with` left it unknown).
  KeyVariables vars;
  vars.query_group =
      query != nullptr && keys == nullptr && pattern == nullptr && keys_from == nullptr;
  if (!vars.query_group && keys_from == nullptr && (pattern == nullptr || pattern_ok)) {
    vars.template_vars = std::vector<std::string>{"key"};
    if (pattern_ok) {
      for (const PatternVar& var : group.with) {
        vars.template_vars->push_back(var.name);
      }
    }
  }
  return vars;
}

void
GroupParser::check_key_source_fields(const Labels& labels, const Fields& fields, GroupSpec& group)
{
  const std::string& path = labels.path;
  const std::vector<const Entry*> key_sources = fields.among(k_key_sources);
  if (key_sources.empty()) {
    m_reader.error(labels.loc,
                   path + ": missing a key source (one of keys, pattern, query or keys_from)");
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
  const Entry* pattern = fields.find("pattern");
  const Entry* with = fields.find("with");
  const Entry* query = fields.find("query");
  const Entry* key = fields.find("key");
  if (with != nullptr && pattern == nullptr) {
    m_reader.error(with->key_loc, path + ": \"with\" is only allowed with \"pattern\"");
  }
  if (pattern != nullptr && with == nullptr) {
    m_reader.error(pattern->key_loc, path + ": \"pattern\" requires \"with\"");
  }
  if (key != nullptr && query == nullptr && fields.find("keys_from") == nullptr) {
    m_reader.error(key->key_loc,
                   path + ": \"key\" is only allowed with \"query\" or \"keys_from\"");
  }
  if (query != nullptr && key == nullptr) {
    m_reader.error(query->key_loc, path + ": \"query\" requires \"key\"");
  }
}

bool
GroupParser::read_pattern(const Labels& labels, const Fields& fields, GroupSpec& group)
{
  const std::string& path = labels.path;
  const Entry* pattern = fields.find("pattern");
  const Entry* with = fields.find("with");
  if (pattern != nullptr) {
    if (std::optional<std::string> text = m_reader.read_nonempty(*pattern, path + ".pattern")) {
      group.pattern =
          m_reader.compile_template(*text, pattern->value_loc, path + ".pattern", nullptr);
    }
  }
  std::optional<std::vector<PatternVar>> with_vars;
  if (with != nullptr) {
    with_vars = parse_with(*with, path + ".with");
    if (with_vars) {
      group.with = *with_vars;
    }
  }
  if (!group.pattern || !with_vars) {
    return false;
  }
  const std::vector<std::string>& pattern_vars = group.pattern->variables();
  // Pattern and `with` must match exactly: an unknown variable cannot be rendered and an unused
  // one would write every key several times.
  std::vector<std::string> defined;
  for (const PatternVar& var : *with_vars) {
    defined.push_back(var.name);
  }
  for (const std::string& variable : pattern_vars) {
    if (!contains(defined, variable)) {
      m_reader.error(pattern->value_loc,
                     path + ".pattern: variable {" + variable + "} is not defined in \"with\" ("
                         + names_or_none(defined) + ")");
    }
  }
  for (const PatternVar& var : *with_vars) {
    if (!contains(pattern_vars, var.name)) {
      m_reader.error(var.loc,
                     path + ".with." + var.name + ": variable " + quote(var.name)
                         + " is not used in the pattern");
    }
  }
  return true;
}

void
GroupParser::read_key_template(const Labels& labels, const Entry& key, bool query, GroupSpec& group)
{
  const std::string path = labels.path + ".key";
  std::optional<std::string> text = m_reader.read_nonempty(key, path);
  if (!text) {
    return;
  }
  // The variables are query columns or keys_from fields, only known when reading, but a
  // template without any would write every row to the same key.
  std::optional<core::Template> compiled =
      m_reader.compile_template(*text, key.value_loc, path, nullptr);
  if (compiled && compiled->variables().empty()) {
    m_reader.error(key.value_loc,
                   path
                       + (query ? ": the key template has no {column} variable, so every row "
                                  "would write the same key"
                                : ": the key template has no variable, so every key read would "
                                  "write the same key"));
  }
  group.key = std::move(compiled);
}

std::optional<std::vector<PatternVar>>
GroupParser::parse_with(const Entry& entry, const std::string& path)
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
    if (!is_valid_name(var.name)) {
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
GroupParser::parse_query(const Entry& entry, const Labels& labels)
{
  const std::string path = labels.path + ".query";
  if (!m_reader.expect_mapping(
          entry.value, entry.value_loc, path, "a mapping like {source: db, sql: \"SELECT ...\"}")) {
    return std::nullopt;
  }
  const Fields fields =
      m_reader.read_fields(entry.value, k_query_fields, "in the query of " + labels.who);
  QuerySpec query;
  query.loc = entry.value_loc;
  if (const Entry* source = fields.find("source")) {
    if (std::optional<std::string> name = m_reader.read_nonempty(*source, path + ".source")) {
      check_source(labels.who, *name, source->value_loc, false, "\"query\"");
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
GroupParser::parse_keys_from(const Entry& entry, const Labels& labels)
{
  const std::string path = labels.path + ".keys_from";
  if (!m_reader.expect_mapping(
          entry.value,
          entry.value_loc,
          path,
          "a mapping like {file: keys.txt}, {source: api, get: /keys.json}, {access_log: {file: "
          "access.log}, top: 1000} or {snapshot: hot.jsonl}")) {
    return std::nullopt;
  }
  const Fields fields =
      m_reader.read_fields(entry.value, k_keys_from_fields, "in the keys_from of " + labels.who);
  if (fields.find("access_log") != nullptr) {
    bool alone = true;
    for (const char* other : {"file", "source", "get", "format", "field", "snapshot"}) {
      if (const Entry* found = fields.find(other)) {
        m_reader.error(found->key_loc,
                       path + ": " + quote(other) + " cannot be combined with \"access_log\"");
        alone = false;
      }
    }
    std::optional<AccessLogSpec> log =
        detail::read_access_log(m_reader, fields, path, m_context.base_dir);
    if (!alone || !log) {
      return std::nullopt;
    }
    KeysFromSpec spec;
    spec.loc = entry.value_loc;
    spec.access_log = std::move(*log);
    return spec;
  }
  if (const Entry* snapshot = fields.find("snapshot")) {
    for (const char* other : {"file", "source", "get", "format", "field"}) {
      if (const Entry* found = fields.find(other)) {
        m_reader.error(found->key_loc,
                       path + ": " + quote(other) + " cannot be combined with \"snapshot\"");
      }
    }
    KeysFromSpec spec;
    spec.loc = entry.value_loc;
    if (std::optional<std::string> text = m_reader.read_nonempty(*snapshot, path + ".snapshot")) {
      spec.snapshot = resolve_path(*text, m_context.base_dir);
    }
    for (const char* only : {"top", "cover", "max_keys"}) {
      if (const Entry* found = fields.find(only)) {
        m_reader.error(found->key_loc,
                       path + ": " + quote(only) + " is only allowed with \"access_log\"");
      }
    }
    return spec;
  }
  for (const char* only : {"top", "cover", "max_keys"}) {
    if (const Entry* found = fields.find(only)) {
      m_reader.error(found->key_loc,
                     path + ": " + quote(only) + " is only allowed with \"access_log\"");
    }
  }
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
    const Entry& second = written_last(*file, *get);
    const Entry& first = &second == file ? *get : *file;
    m_reader.error(second.key_loc,
                   path + ": " + quote(first.key) + " and " + quote(second.key)
                       + " cannot be combined");
    return std::nullopt;
  }
  KeysFromSpec spec;
  spec.loc = entry.value_loc;
  const std::optional<KeyFormat> format = read_keys_from_location(entry, fields, labels, spec);
  read_keys_from_format(entry, fields, path, format, spec);
  return spec;
}

std::optional<KeyFormat>
GroupParser::read_keys_from_location(const Entry& entry,
                                     const Fields& fields,
                                     const Labels& labels,
                                     KeysFromSpec& spec)
{
  const std::string path = labels.path + ".keys_from";
  const Entry* file = fields.find("file");
  const Entry* source = fields.find("source");
  if (file != nullptr) {
    if (source != nullptr) {
      m_reader.error(source->key_loc, path + ": \"source\" is not allowed with \"file\"");
    }
    std::optional<std::string> text = m_reader.read_nonempty(*file, path + ".file");
    if (!text) {
      return std::nullopt;
    }
    spec.file = resolve_path(*text, m_context.base_dir);
    return key_format_for_path(*text);
  }
  if (source == nullptr) {
    m_reader.error(entry.value_loc, path + ": \"get\" needs \"source\"");
  } else if (std::optional<std::string> name = m_reader.read_nonempty(*source, path + ".source")) {
    check_source(labels.who, *name, source->value_loc, true, "\"keys_from.get\"");
    spec.source = std::move(*name);
  }
  const Entry& get = *fields.find("get");
  std::optional<std::string> text = m_reader.read_nonempty(get, path + ".get");
  if (!text) {
    return std::nullopt;
  }
  // The document is fetched once, before any key exists, so there is nothing to render.
  if (const std::optional<core::Template> compiled =
          m_reader.compile_template(*text, get.value_loc, path + ".get", nullptr);
      compiled && !compiled->variables().empty()) {
    std::string found;
    for (const std::string& variable : compiled->variables()) {
      found += (found.empty() ? "{" : ", {") + variable + "}";
    }
    m_reader.error(get.value_loc,
                   path + ".get: template variables are not allowed here (found " + found + ")");
  }
  const KeyFormat format = key_format_for_path(*text);
  spec.get = std::move(*text);
  return format;
}

void
GroupParser::read_keys_from_format(const Entry& entry,
                                   const Fields& fields,
                                   const std::string& path,
                                   std::optional<KeyFormat> format,
                                   KeysFromSpec& spec)
{
  // `format` is nullopt while the path or the format is unreadable, so that a broken one does
  // not also raise "field" complaints.
  const Entry* format_entry = fields.find("format");
  if (format_entry != nullptr) {
    format.reset();
    if (std::optional<std::string> name = m_reader.read_nonempty(*format_entry, path + ".format")) {
      format = key_format_named(*name);
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
    return;
  }
  spec.format = *format;
  const std::string format_name(key_format_name(spec.format));
  if (field != nullptr) {
    if (spec.format == KeyFormat::lines || spec.format == KeyFormat::sitemap) {
      m_reader.error(field->key_loc,
                     path + ": \"field\" is not allowed with format " + format_name);
    } else {
      spec.field = m_reader.read_nonempty(*field, path + ".field").value_or("");
    }
  } else if (spec.format == KeyFormat::jsonl || spec.format == KeyFormat::csv) {
    m_reader.error(format_entry != nullptr ? format_entry->value_loc : entry.value_loc,
                   path + ": format " + format_name + " needs \"field\"");
  }
}

void
GroupParser::check_source(const std::string& who,
                          const std::string& name,
                          Location loc,
                          bool want_http,
                          std::string_view use)
{
  if (!m_reader.check_reference(who, "source", name, m_context.names.sources, loc)) {
    return;
  }
  const auto found = m_context.names.source_kinds.find(name);
  if (found == m_context.names.source_kinds.end()) {
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

// --- Write policy ------------------------------------------------------------------------

void
GroupParser::read_write_policy(const Labels& labels, const Fields& fields, GroupSpec& group)
{
  const std::string& path = labels.path;
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
  read_targets(labels, fields, group);
}

void
GroupParser::read_targets(const Labels& labels, const Fields& fields, GroupSpec& group)
{
  // `target: x` or `targets: [x, y]`, else defaults.target (or the only target).
  const std::string& path = labels.path;
  const std::vector<std::string>& defined = m_context.names.targets;
  const Entry* target = fields.find("target");
  const Entry* targets = fields.find("targets");
  const Entry* by_segment = fields.find("targets_by_segment");
  if (by_segment != nullptr && (target != nullptr || targets != nullptr)) {
    m_reader.error(by_segment->key_loc,
                   path + ": \"targets_by_segment\" cannot be combined with \""
                       + (target != nullptr ? "target" : "targets") + "\"");
  }
  if (target != nullptr && targets != nullptr) {
    m_reader.error(written_last(*targets, *target).key_loc,
                   path + ": \"target\" and \"targets\" cannot both be given");
  } else if (target != nullptr) {
    group.targets_loc = target->value_loc;
    if (std::optional<std::string> name = m_reader.read_nonempty(*target, path + ".target")) {
      m_reader.check_reference(labels.who, "target", *name, defined, target->value_loc);
      group.targets.push_back(std::move(*name));
    }
  } else if (targets != nullptr) {
    group.targets_loc = targets->value_loc;
    if (std::optional<StringList> list =
            m_reader.read_located_strings(*targets, path + ".targets", "target", false)) {
      const std::vector<std::string>& names = list->items;
      for (std::size_t i = 0; i < names.size(); ++i) {
        const auto earlier = names.begin() + static_cast<std::ptrdiff_t>(i);
        if (std::find(names.begin(), earlier, names[i]) != earlier) {
          m_reader.error(list->locs[i],
                         path + ".targets" + one_based(i) + ": duplicate target "
                             + quote(names[i]));
          continue;
        }
        m_reader.check_reference(labels.who, "target", names[i], defined, list->locs[i]);
      }
      group.targets = std::move(list->items);
    }
  } else if (by_segment == nullptr && m_context.default_target.empty() && defined.size() > 1) {
    m_reader.error(labels.loc,
                   labels.who + ": no target given and several are defined (" + join(defined)
                       + "); set \"target\" in the group or \"defaults.target\"");
  }
  if (by_segment != nullptr) {
    group.targets_loc = by_segment->value_loc;
    read_targets_by_segment(labels, *by_segment, group);
  }
}

void
GroupParser::read_targets_by_segment(const Labels& labels, const Entry& entry, GroupSpec& group)
{
  const std::string path = labels.path + ".targets_by_segment";
  if (!m_reader.expect_mapping(
          entry.value, entry.value_loc, path, "a mapping of segments to targets, like {eu: eu}")) {
    return;
  }
  const std::vector<Entry> segments = m_reader.entries_of(entry.value, "segment", "in " + path);
  if (segments.empty()) {
    m_reader.error(entry.value_loc, path + ": at least one segment is required");
  }
  for (const Entry& segment : segments) {
    if (!is_valid_name(segment.key)) {
      m_reader.error(segment.key_loc,
                     path + ": invalid segment name " + quote(segment.key)
                         + " (use letters, digits, '_', '.' and '-': it names a group)");
      continue;
    }
    if (std::optional<std::string> name =
            m_reader.read_nonempty(segment, path + "." + segment.key)) {
      m_reader.check_reference(
          labels.who, "target", *name, m_context.names.targets, segment.value_loc);
      group.targets_by_segment.emplace_back(segment.key, std::move(*name));
    }
  }
  const bool by =
      group.keys_from && group.keys_from->access_log && !group.keys_from->access_log->by.empty();
  if (!by) {
    m_reader.error(entry.key_loc,
                   labels.path
                       + ": \"targets_by_segment\" needs keys_from: {access_log: {..., by: "
                         "TEMPLATE}} (the segments of the log)");
  }
}

} // namespace cachewarm::manifest::detail
