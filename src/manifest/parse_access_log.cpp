// keys_from.access_log: access logs to predict a group's keys from (cachewarm predict's options
// as a manifest mapping), and the key rules shared with `predict --rules FILE`.

#include "parse_detail.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

namespace cachewarm::manifest::detail {

namespace {

constexpr std::array<std::string_view, 3> k_rule_fields = {"match", "key", "field"};

constexpr std::array<std::string_view, 16> k_access_log_fields = {"file",
                                                                  "files",
                                                                  "format",
                                                                  "header",
                                                                  "time_field",
                                                                  "time_unit",
                                                                  "key",
                                                                  "rules",
                                                                  "client",
                                                                  "status",
                                                                  "methods",
                                                                  "path",
                                                                  "window",
                                                                  "capacity",
                                                                  "by",
                                                                  "prefixes"};

constexpr std::array<std::string_view, 6> k_formats = {
    "combined", "common", "jsonl", "csv", "tsv", "fields"};
constexpr std::array<std::string_view, 7> k_time_units = {
    "clf", "iso8601", "s", "ms", "us", "ns", "filetime"};

std::string
joined(std::span<const std::string_view> words)
{
  std::string out;
  for (const std::string_view word : words) {
    out += (out.empty() ? "" : ", ") + std::string(word);
  }
  return out;
}

// A word that must be one of `words`; nullopt (reported) otherwise.
std::optional<std::string>
read_word(YamlReader& reader,
          const Entry& entry,
          const std::string& path,
          std::span<const std::string_view> words)
{
  std::optional<std::string> word = reader.read_nonempty(entry, path);
  if (word && std::find(words.begin(), words.end(), *word) == words.end()) {
    reader.error(entry.value_loc,
                 path + ": unknown \"" + *word + "\" (expected one of: " + joined(words) + ")");
    return std::nullopt;
  }
  return word;
}

// `status: [2xx, 3xx]` or `status: "2xx,3xx"`: the classes 1..5.
std::optional<std::vector<int>>
read_status(YamlReader& reader, const Entry& entry, const std::string& path)
{
  std::vector<std::string> items;
  if (entry.value.IsSequence()) {
    std::optional<std::vector<std::string>> list =
        reader.read_string_list(entry, path, "status class", false);
    if (!list) {
      return std::nullopt;
    }
    items = std::move(*list);
  } else if (std::optional<std::string> text = reader.read_nonempty(entry, path)) {
    for (std::size_t start = 0; start <= text->size();) {
      const std::size_t comma = std::min(text->find(',', start), text->size());
      items.push_back(text->substr(start, comma - start));
      start = comma + 1;
    }
  } else {
    return std::nullopt;
  }
  std::vector<int> classes;
  for (const std::string& item : items) {
    const bool ok = (item.size() == 1 || (item.size() == 3 && item.substr(1) == "xx"))
                    && item[0] >= '1' && item[0] <= '5';
    if (!ok) {
      reader.error(entry.value_loc,
                   path + ": expected status classes such as 2xx or 3xx (1xx to 5xx), got \"" + item
                       + "\"");
      return std::nullopt;
    }
    classes.push_back(item[0] - '0');
  }
  return classes;
}

} // namespace

std::optional<std::vector<AccessLogRule>>
read_access_log_rules(YamlReader& reader,
                      const YAML::Node& node,
                      Location loc,
                      const std::string& path)
{
  if (!node.IsSequence() || node.size() == 0) {
    reader.error(location_or(node, loc),
                 path + ": expected a non-empty list of rules ({match: REGEX, key: TEMPLATE}), got "
                     + describe(node));
    return std::nullopt;
  }
  const std::size_t errors = reader.error_count();
  std::vector<AccessLogRule> rules;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node element = node[i];
    const std::string where = path + one_based(i);
    const Location at = location_or(element, loc);
    if (!reader.expect_mapping(element, at, where, "a mapping {match: REGEX, key: TEMPLATE}")) {
      continue;
    }
    const Fields fields = reader.read_fields(element, k_rule_fields, "in " + where);
    AccessLogRule rule{{}, {}, {}, at};
    for (const std::string_view name : {std::string_view("match"), std::string_view("key")}) {
      const Entry* entry = fields.find(name);
      if (entry == nullptr) {
        reader.error(at, where + ": missing \"" + std::string(name) + "\"");
        continue;
      }
      if (std::optional<std::string> value =
              reader.read_nonempty(*entry, where + "." + std::string(name))) {
        (name == "match" ? rule.match : rule.key) = std::move(*value);
      }
    }
    if (const Entry* field = fields.find("field")) {
      rule.field = reader.read_nonempty(*field, where + ".field").value_or("");
    }
    rules.push_back(std::move(rule));
  }
  if (reader.error_count() > errors) {
    return std::nullopt;
  }
  return rules;
}

namespace {

// `file: PATH` or `files: [PATH, ...]` (exactly one of them), relative to the manifest.
void
read_log_files(YamlReader& reader,
               const Fields& fields,
               const Location& log_loc,
               const std::string& where,
               const std::string& base_dir,
               AccessLogSpec& spec)
{
  const Entry* file = fields.find("file");
  const Entry* files = fields.find("files");
  if (file != nullptr && files != nullptr) {
    reader.error(files->key_loc, where + ": \"file\" and \"files\" cannot be combined");
  } else if (file != nullptr) {
    if (std::optional<std::string> text = reader.read_nonempty(*file, where + ".file")) {
      spec.files.push_back(resolve_path(*text, base_dir));
    }
  } else if (files != nullptr) {
    if (std::optional<std::vector<std::string>> list =
            reader.read_string_list(*files, where + ".files", "log file", false)) {
      for (const std::string& text : *list) {
        spec.files.push_back(resolve_path(text, base_dir));
      }
    }
  } else {
    reader.error(log_loc, where + ": missing \"file\" (or \"files\")");
  }
}

// Which lines count (status classes, methods) and how the model reads them (window, capacity).
void
read_log_filters(YamlReader& reader,
                 const Fields& fields,
                 const std::string& where,
                 AccessLogSpec& spec)
{
  if (const Entry* entry = fields.find("status")) {
    spec.status_classes =
        read_status(reader, *entry, where + ".status").value_or(std::vector<int>{});
  }
  if (const Entry* entry = fields.find("methods")) {
    spec.methods = reader.read_string_list(*entry, where + ".methods", "method", false)
                       .value_or(std::vector<std::string>{});
  }
  if (const Entry* entry = fields.find("window")) {
    if (std::optional<std::chrono::milliseconds> window =
            reader.read_duration(*entry, where + ".window")) {
      if (*window < std::chrono::seconds(1)) {
        reader.error(entry->value_loc, where + ".window: expected at least 1s");
      } else {
        spec.window = *window;
      }
    }
  }
  if (const Entry* entry = fields.find("capacity")) {
    spec.capacity = reader.read_count(*entry, where + ".capacity", 16, 100000000).value_or(0);
  }
}

// How many predicted keys the group warms: `top: K`, or `cover: SHARE` with an optional
// `max_keys`; these sit beside `access_log` in `keys_from`.
void
read_selection(YamlReader& reader,
               const Fields& keys_from,
               const std::string& path,
               AccessLogSpec& spec)
{
  const Entry* top = keys_from.find("top");
  const Entry* cover = keys_from.find("cover");
  if (top != nullptr && cover != nullptr) {
    reader.error(cover->key_loc, path + ": \"top\" and \"cover\" cannot be combined");
  }
  if (top != nullptr) {
    spec.top = reader.read_count(*top, path + ".top", 1, 10000000).value_or(spec.top);
  }
  if (cover != nullptr) {
    std::optional<std::string> text = reader.read_nonempty(*cover, path + ".cover");
    char* end = nullptr;
    const double share = text ? std::strtod(text->c_str(), &end) : -1;
    if (text && (end == text->c_str() || *end != '\0' || !(share > 0 && share <= 1))) {
      reader.error(cover->value_loc,
                   path + ".cover: expected a share of requests above 0 and at most 1, got \""
                       + *text + "\"");
    } else if (text) {
      spec.cover = share;
    }
  }
  if (const Entry* entry = keys_from.find("max_keys")) {
    if (cover == nullptr) {
      reader.error(entry->key_loc, path + ": \"max_keys\" is only allowed with \"cover\"");
    }
    spec.max_keys =
        reader.read_count(*entry, path + ".max_keys", 1, 10000000).value_or(spec.max_keys);
  }
}

// `by: TEMPLATE` and `prefixes: {NAME: [PREFIX, ...], ...}` (which needs `by`). Prefixes are
// checked when the log is opened.
void
read_segments(YamlReader& reader,
              const Fields& fields,
              const std::string& where,
              AccessLogSpec& spec)
{
  const Entry* by = fields.find("by");
  if (by != nullptr) {
    spec.by = reader.read_nonempty(*by, where + ".by").value_or("");
  }
  const Entry* prefixes = fields.find("prefixes");
  if (prefixes == nullptr) {
    return;
  }
  if (by == nullptr) {
    reader.error(prefixes->key_loc, where + ": \"prefixes\" needs \"by\" (the client address)");
  }
  const std::string path = where + ".prefixes";
  if (!reader.expect_mapping(prefixes->value,
                             prefixes->value_loc,
                             path,
                             "a mapping of segment names to address prefixes, like {eu: "
                             "[10.1.0.0/16]}")) {
    return;
  }
  for (const Entry& segment : reader.entries_of(prefixes->value, "segment", "in " + path)) {
    if (std::optional<std::vector<std::string>> list =
            reader.read_string_list(segment, path + "." + segment.key, "prefix", false)) {
      for (std::string& prefix : *list) {
        spec.prefixes.emplace_back(std::move(prefix), segment.key);
      }
    }
  }
}

} // namespace

std::optional<AccessLogSpec>
read_access_log(YamlReader& reader,
                const Fields& keys_from,
                const std::string& path,
                const std::string& base_dir)
{
  const Entry& log = *keys_from.find("access_log");
  const std::string where = path + ".access_log";
  if (!reader.expect_mapping(
          log.value, log.value_loc, where, "a mapping like {file: /var/log/nginx/access.log}")) {
    return std::nullopt;
  }
  const std::size_t errors = reader.error_count();
  const Fields fields = reader.read_fields(log.value, k_access_log_fields, "in " + where);
  AccessLogSpec spec;
  spec.loc = log.value_loc;
  read_log_files(reader, fields, log.value_loc, where, base_dir, spec);
  if (const Entry* entry = fields.find("format")) {
    spec.format = read_word(reader, *entry, where + ".format", k_formats).value_or(spec.format);
  }
  if (const Entry* entry = fields.find("header")) {
    spec.header = reader.read_bool(*entry, where + ".header").value_or(false);
  }
  if (const Entry* entry = fields.find("time_field")) {
    spec.time_field = reader.read_nonempty(*entry, where + ".time_field").value_or("");
  }
  if (const Entry* entry = fields.find("time_unit")) {
    spec.time_unit = read_word(reader, *entry, where + ".time_unit", k_time_units).value_or("");
  }
  for (auto [name, target] : {std::pair<std::string_view, std::string*>{"key", &spec.key},
                              {"client", &spec.client},
                              {"path", &spec.path}}) {
    if (const Entry* entry = fields.find(name)) {
      *target = reader.read_nonempty(*entry, where + "." + std::string(name)).value_or("");
    }
  }
  if (const Entry* entry = fields.find("rules")) {
    if (std::optional<std::vector<AccessLogRule>> rules =
            read_access_log_rules(reader, entry->value, entry->value_loc, where + ".rules")) {
      spec.rules = std::move(*rules);
    }
  }
  if (spec.key.empty() && spec.rules.empty() && spec.format != "combined"
      && spec.format != "common") {
    reader.error(log.value_loc, where + ": format " + spec.format + " needs \"key\" or \"rules\"");
  }
  read_log_filters(reader, fields, where, spec);
  read_segments(reader, fields, where, spec);
  read_selection(reader, keys_from, path, spec);
  if (reader.error_count() > errors) {
    return std::nullopt;
  }
  return spec;
}

} // namespace cachewarm::manifest::detail
