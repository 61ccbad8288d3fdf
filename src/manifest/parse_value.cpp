// The `value:` of a group: which kind it is (column, hash, set, zset, list, an sql or http
// lookup, or a text template), the companion fields that kind accepts, and each kind's fields.

#include "parse_detail.hpp"
#include "text_checks_detail.hpp"
#include "yaml_reader_detail.hpp"

#include "cachewarm/core/template.hpp"
#include "cachewarm/manifest/manifest.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace cachewarm::manifest::detail {

namespace {

// clang-format off
constexpr std::string_view k_value_fields[] = {
    "column", "hash", "set", "zset", "list", "source", "sql", "params", "get", "json_pointer",
    "hash_from_json", "text", "restore"};
// clang-format on
// The fields of `value:` that pick its kind; exactly one must be present.
constexpr std::string_view k_value_kinds[] = {
    "column", "hash", "set", "zset", "list", "sql", "get", "text", "restore"};
// Value kinds that read the group's query rows.
constexpr std::string_view k_row_value_kinds[] = {"column", "hash", "set", "zset", "list"};
// Value fields that only make sense with `get`.
constexpr std::string_view k_get_only_fields[] = {"json_pointer", "hash_from_json"};
constexpr std::string_view k_zset_fields[] = {"member", "score"};

} // namespace

std::optional<ValueSpec>
GroupParser::parse_value(const Entry& entry, const Labels& labels, const KeyVariables& vars)
{
  const std::string path = labels.path + ".value";
  if (!m_reader.expect_mapping(
          entry.value,
          entry.value_loc,
          path,
          "a mapping like {text: ...}, {column: ...} or {source: ..., get: ...}")) {
    return std::nullopt;
  }
  const Fields fields =
      m_reader.read_fields(entry.value, k_value_fields, "in the value of " + labels.who);
  const Entry* kind_entry = value_kind(entry, fields, path);
  if (kind_entry == nullptr) {
    return std::nullopt;
  }
  const Entry& kind = *kind_entry;
  const bool ok = check_value_companions(fields, kind, path, vars.query_group);
  const std::vector<std::string>* template_vars =
      vars.template_vars ? &*vars.template_vars : nullptr;
  ValueSpec value;
  value.loc = entry.value_loc;
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
    std::tie(value.member, value.score) = parse_zset(kind, path + ".zset", labels.who);
  } else if (kind.key == "text") {
    value.kind = ValueKind::text;
    if (std::optional<std::string> text = m_reader.read_string(kind, path + ".text")) {
      value.text = m_reader.compile_template(*text, kind.value_loc, path + ".text", template_vars)
                       .value_or(core::Template{});
    }
  } else if (kind.key == "restore") {
    value.kind = ValueKind::restore;
    if (std::optional<std::string> from = m_reader.read_nonempty(kind, path + ".restore");
        from && *from != "snapshot") {
      m_reader.error(
          kind.value_loc,
          path + ".restore: expected \"snapshot\" (the DUMPs of a keys_from snapshot), got "
              + quote(*from));
    }
  } else {
    value = read_lookup(entry, fields, kind, labels, vars);
  }
  if (!ok) {
    return std::nullopt;
  }
  return value;
}

const Entry*
GroupParser::value_kind(const Entry& entry, const Fields& fields, const std::string& path)
{
  const std::vector<const Entry*> kinds = fields.among(k_value_kinds);
  if (kinds.empty()) {
    const std::vector<const Entry*> get_only = fields.among(k_get_only_fields);
    if (fields.find("source") != nullptr) {
      m_reader.error(entry.value_loc, path + ": \"source\" needs \"sql\" or \"get\"");
    } else if (!get_only.empty()) {
      m_reader.error(get_only.front()->key_loc,
                     path + ": " + quote(get_only.front()->key) + " needs \"get\"");
    } else {
      m_reader.error(entry.value_loc,
                     path
                         + ": expected one of {column: C}, {hash: [C...]}, {set: C}, {list: C}, "
                           "{zset: {member: C, score: D}}, {source, sql, params}, "
                           "{source, get, json_pointer, hash_from_json}, {text: T} or "
                           "{restore: snapshot}");
    }
    return nullptr;
  }
  if (kinds.size() > 1) {
    m_reader.error(kinds[1]->key_loc,
                   path + ": " + quote(kinds[0]->key) + " and " + quote(kinds[1]->key)
                       + " cannot be combined");
    return nullptr;
  }
  return kinds.front();
}

bool
GroupParser::check_value_companions(const Fields& fields,
                                    const Entry& kind,
                                    const std::string& path,
                                    bool query_group)
{
  // The companions each kind accepts besides itself.
  std::vector<std::string_view> companions;
  if (kind.key == "sql") {
    companions = {"source", "params"};
  } else if (kind.key == "get") {
    companions = {"source", "json_pointer", "hash_from_json"};
  }
  bool ok = true;
  for (const Entry& field : fields.entries()) {
    if (&field == &kind || contains(companions, field.key)) {
      continue;
    }
    if (contains(k_get_only_fields, field.key)) {
      m_reader.error(field.key_loc, path + ": " + quote(field.key) + " needs \"get\"");
    } else {
      m_reader.error(field.key_loc,
                     path + ": " + quote(field.key) + " is not allowed with " + quote(kind.key));
    }
    ok = false;
  }
  if (contains(k_row_value_kinds, kind.key) && !query_group) {
    m_reader.error(kind.key_loc,
                   path + ": " + quote(kind.key) + " is only allowed in a group with a \"query\"");
    ok = false;
  }
  return ok;
}

ValueSpec
GroupParser::read_lookup(const Entry& entry,
                         const Fields& fields,
                         const Entry& kind,
                         const Labels& labels,
                         const KeyVariables& vars)
{
  const std::string path = labels.path + ".value";
  const std::vector<std::string>* template_vars =
      vars.template_vars ? &*vars.template_vars : nullptr;
  const bool http = kind.key == "get";
  ValueSpec value;
  value.loc = entry.value_loc;
  value.kind = http ? ValueKind::lookup_http : ValueKind::lookup_sql;
  if (const Entry* source = fields.find("source")) {
    if (std::optional<std::string> name = m_reader.read_nonempty(*source, path + ".source")) {
      check_source(labels.who, *name, source->value_loc, http, http ? "\"get\"" : "\"sql\"");
      value.source = std::move(*name);
    }
  } else {
    m_reader.error(entry.value_loc, path + ": " + quote(kind.key) + " needs \"source\"");
  }
  if (!http) {
    value.sql = m_reader.read_nonempty(kind, path + ".sql").value_or("");
    if (const Entry* params = fields.find("params")) {
      if (std::optional<StringList> list =
              m_reader.read_located_strings(*params, path + ".params", "parameter", true)) {
        for (std::size_t i = 0; i < list->items.size(); ++i) {
          if (std::optional<core::Template> param = m_reader.compile_template(
                  list->items[i], list->locs[i], path + ".params" + one_based(i), template_vars)) {
            value.params.push_back(std::move(*param));
          }
        }
      }
    }
    return value;
  }
  if (std::optional<std::string> get = m_reader.read_nonempty(kind, path + ".get")) {
    value.get = m_reader.compile_template(*get, kind.value_loc, path + ".get", template_vars)
                    .value_or(core::Template{});
  }
  if (const Entry* pointer = fields.find("json_pointer")) {
    if (std::optional<std::string> text = m_reader.read_string(*pointer, path + ".json_pointer")) {
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
  return value;
}

std::pair<std::string, std::string>
GroupParser::parse_zset(const Entry& entry, const std::string& path, const std::string& who)
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

} // namespace cachewarm::manifest::detail
