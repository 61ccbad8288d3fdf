// Typed readers over yaml-cpp nodes for the manifest parser: every problem becomes a Diagnostic
// at the value's file:line:col and the caller goes on with its default.

#include "text_checks_detail.hpp"
#include "yaml_reader_detail.hpp"

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/manifest/units.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace cachewarm::manifest::detail {

namespace {

constexpr std::string_view k_throttle_fields[] = {"max_latency", "max_memory", "min_rate"};

// A units.hpp parser: `500ms`, `200/s`, `10%`, `8MiB`...
template <class T> using UnitParser = core::Result<T> (*)(std::string_view);

// `text` (the expanded value of `entry`) parsed by `parse`; its error is reported at the value.
template <class T>
std::optional<T>
parse_or_report(YamlReader& reader,
                const Entry& entry,
                const std::string& path,
                const std::string& text,
                UnitParser<T> parse)
{
  core::Result<T> value = parse(text);
  if (!value) {
    reader.error(entry.value_loc, path + ": " + value.error().message);
    return std::nullopt;
  }
  return *value;
}

// A scalar (`<path>: expected <expected>, got ...` otherwise) parsed by `parse`.
template <class T>
std::optional<T>
read_parsed(YamlReader& reader,
            const Entry& entry,
            const std::string& path,
            std::string_view expected,
            UnitParser<T> parse)
{
  const std::optional<std::string> text =
      reader.scalar_text(entry.value, entry.value_loc, path, expected);
  if (!text) {
    return std::nullopt;
  }
  return parse_or_report(reader, entry, path, *text, parse);
}

} // namespace

Location
location_of(const YAML::Mark& mark)
{
  if (mark.is_null() || mark.line < 0 || mark.column < 0) {
    return {};
  }
  return Location{mark.line + 1, mark.column + 1};
}

// How a node looks, for "expected X, got Y" messages.
Location
location_or(const YAML::Node& node, Location fallback)
{
  if (node.IsNull()) {
    return fallback;
  }
  const Location loc = location_of(node.Mark());
  return loc.line == 0 ? fallback : loc;
}

std::string
describe(const YAML::Node& node)
{
  switch (node.Type()) {
  case YAML::NodeType::Scalar:
    return quote(node.Scalar());
  case YAML::NodeType::Sequence:
    return "a list";
  case YAML::NodeType::Map:
    return "a mapping";
  case YAML::NodeType::Null:
    return "null";
  case YAML::NodeType::Undefined:
    break;
  }
  return "nothing";
}

std::string
one_based(std::size_t index)
{
  return "[" + std::to_string(index + 1) + "]";
}

std::vector<const Entry*>
Fields::among(std::span<const std::string_view> names) const
{
  std::vector<const Entry*> found;
  for (const Entry& entry : m_entries) {
    if (contains(names, entry.key)) {
      found.push_back(&entry);
    }
  }
  return found;
}

YamlReader::YamlReader(std::string_view file_name, const EnvLookup& env)
    : m_file(file_name)
    , m_env(env)
{}

void
YamlReader::error(Location loc, std::string message)
{
  m_diagnostics.push_back(Diagnostic{m_file, loc, std::move(message)});
}

std::vector<Diagnostic>
YamlReader::take_diagnostics()
{
  std::stable_sort(
      m_diagnostics.begin(), m_diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::pair(a.loc.line, a.loc.column) < std::pair(b.loc.line, b.loc.column);
      });
  return std::move(m_diagnostics);
}

bool
YamlReader::expect_mapping(const YAML::Node& node,
                           Location loc,
                           const std::string& path,
                           std::string_view expected)
{
  if (node.IsMap()) {
    return true;
  }
  error(loc, path + ": expected " + std::string(expected) + ", got " + describe(node));
  return false;
}

std::vector<Entry>
YamlReader::entries_of(const YAML::Node& map, std::string_view noun, std::string_view in_what)
{
  std::vector<Entry> entries;
  for (YAML::const_iterator it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;
    Entry entry;
    entry.key_loc = location_of(key.Mark());
    if (!key.IsScalar()) {
      error(entry.key_loc,
            "expected a " + std::string(noun) + " name " + std::string(in_what) + ", got "
                + describe(key));
      continue;
    }
    entry.key = key.Scalar();
    entry.value = it->second;
    entry.value_loc = location_or(entry.value, entry.key_loc);
    const bool duplicate = std::any_of(
        entries.begin(), entries.end(), [&](const Entry& seen) { return seen.key == entry.key; });
    if (duplicate) {
      error(entry.key_loc,
            "duplicate " + std::string(noun) + " " + quote(entry.key) + " " + std::string(in_what));
      continue;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

Fields
YamlReader::read_fields(const YAML::Node& map,
                        std::span<const std::string_view> allowed,
                        std::string_view in_what)
{
  Fields fields;
  for (Entry& entry : entries_of(map, "field", in_what)) {
    if (std::find(allowed.begin(), allowed.end(), entry.key) == allowed.end()) {
      std::string message =
          "unknown field " + quote(entry.key) + " " + std::string(in_what) + " (expected one of: ";
      for (std::size_t i = 0; i < allowed.size(); ++i) {
        message += (i > 0 ? ", " : "") + std::string(allowed[i]);
      }
      message += ")";
      const std::string suggestion = closest_match(entry.key, allowed);
      if (!suggestion.empty()) {
        message += "; did you mean " + quote(suggestion) + "?";
      }
      error(entry.key_loc, std::move(message));
      continue;
    }
    fields.add(std::move(entry));
  }
  return fields;
}

std::optional<std::string>
YamlReader::scalar_text(const YAML::Node& node,
                        Location loc,
                        const std::string& path,
                        std::string_view expected)
{
  if (!node.IsScalar()) {
    error(loc, path + ": expected " + std::string(expected) + ", got " + describe(node));
    return std::nullopt;
  }
  EnvExpansion expansion = expand_env(node.Scalar(), m_env);
  if (!expansion.error.empty()) {
    error(loc, path + ": " + expansion.error);
    return std::nullopt;
  }
  return std::move(expansion.text);
}

std::optional<std::string>
YamlReader::read_string(const Entry& entry, const std::string& path)
{
  return scalar_text(entry.value, entry.value_loc, path, "a string");
}

std::optional<std::string>
YamlReader::read_nonempty(const Entry& entry, const std::string& path)
{
  std::optional<std::string> text = read_string(entry, path);
  if (text && text->empty()) {
    error(entry.value_loc, path + ": expected a non-empty string");
    return std::nullopt;
  }
  return text;
}

std::optional<bool>
YamlReader::read_bool(const Entry& entry, const std::string& path)
{
  const std::optional<std::string> text =
      scalar_text(entry.value, entry.value_loc, path, "true or false");
  if (!text) {
    return std::nullopt;
  }
  if (*text == "true" || *text == "True" || *text == "TRUE") {
    return true;
  }
  if (*text == "false" || *text == "False" || *text == "FALSE") {
    return false;
  }
  error(entry.value_loc, path + ": expected true or false, got " + quote(*text));
  return std::nullopt;
}

std::optional<int>
YamlReader::read_int(const Entry& entry, const std::string& path)
{
  const std::optional<std::string> text =
      scalar_text(entry.value, entry.value_loc, path, "an integer");
  if (!text) {
    return std::nullopt;
  }
  int value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || ec != std::errc() || ptr != end) {
    error(entry.value_loc, path + ": expected an integer, got " + quote(*text));
    return std::nullopt;
  }
  return value;
}

std::optional<std::size_t>
YamlReader::read_count(const Entry& entry,
                       const std::string& path,
                       std::size_t min,
                       std::size_t max)
{
  const std::string expected = min == 0 ? "a non-negative integer" : "a positive integer";
  const std::optional<std::string> text = scalar_text(entry.value, entry.value_loc, path, expected);
  if (!text) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  const bool digits_only = !text->empty() && ptr == end;
  if (!digits_only || (ec != std::errc() && ec != std::errc::result_out_of_range)
      || (ec == std::errc() && value < min)) {
    error(entry.value_loc, path + ": expected " + expected + ", got " + quote(*text));
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || value > max) {
    error(entry.value_loc,
          path + ": " + *text + " is too large (at most " + std::to_string(max) + ")");
    return std::nullopt;
  }
  return static_cast<std::size_t>(value);
}

std::optional<std::chrono::milliseconds>
YamlReader::read_duration(const Entry& entry, const std::string& path)
{
  return read_parsed(*this, entry, path, "a duration", parse_duration);
}

std::optional<Rate>
YamlReader::read_rate(const Entry& entry, const std::string& path)
{
  return read_parsed(*this, entry, path, "a rate", parse_rate);
}

std::optional<ThrottleSpec>
YamlReader::read_throttle(const Entry& entry, const std::string& path)
{
  if (!expect_mapping(entry.value, entry.value_loc, path, "a mapping like {max_latency: 5ms}")) {
    return std::nullopt;
  }
  ThrottleSpec throttle;
  throttle.loc = entry.value_loc;
  const std::size_t errors_before = error_count();
  const Fields fields = read_fields(entry.value, k_throttle_fields, "in " + path);
  if (const Entry* latency = fields.find("max_latency")) {
    if (std::optional<std::chrono::milliseconds> value =
            read_duration(*latency, path + ".max_latency")) {
      if (value->count() <= 0) {
        error(latency->value_loc, path + ".max_latency: expected a positive duration like 5ms");
      } else {
        throttle.max_latency = *value;
      }
    }
  }
  if (const Entry* memory = fields.find("max_memory")) {
    const std::optional<std::string> text =
        scalar_text(memory->value, memory->value_loc, path + ".max_memory", "a percentage");
    if (text) {
      core::Result<Jitter> percent = parse_jitter(*text);
      if (!percent || text->back() != '%' || percent->fraction <= 0.0) {
        error(memory->value_loc,
              path + ".max_memory: expected a percentage of maxmemory like 90%, got "
                  + quote(*text));
      } else {
        throttle.max_memory = percent->fraction;
      }
    }
  }
  if (const Entry* min_rate = fields.find("min_rate")) {
    if (std::optional<Rate> rate = read_rate(*min_rate, path + ".min_rate")) {
      if (rate->adaptive || rate->per_second <= 0.0) {
        error(min_rate->value_loc, path + ".min_rate: expected a rate like 500/s");
      } else {
        throttle.min_rate = *rate;
      }
    }
  }
  if (error_count() != errors_before) {
    return std::nullopt;
  }
  return throttle;
}

std::optional<Jitter>
YamlReader::read_jitter(const Entry& entry, const std::string& path)
{
  return read_parsed(*this, entry, path, "a jitter", parse_jitter);
}

std::optional<std::size_t>
YamlReader::read_size(const Entry& entry, const std::string& path)
{
  const std::optional<std::string> text = scalar_text(entry.value, entry.value_loc, path, "a size");
  if (!text) {
    return std::nullopt;
  }
  const std::optional<std::size_t> size = parse_or_report(*this, entry, path, *text, parse_size);
  if (size && *size == 0) {
    error(entry.value_loc, path + ": expected a positive size, got " + quote(*text));
    return std::nullopt;
  }
  return size;
}

std::optional<StringList>
YamlReader::read_located_strings(const Entry& entry,
                                 const std::string& path,
                                 std::string_view what,
                                 bool allow_empty)
{
  if (!entry.value.IsSequence()) {
    error(entry.value_loc, path + ": expected a list, got " + describe(entry.value));
    return std::nullopt;
  }
  StringList list;
  bool ok = true;
  std::size_t index = 0;
  for (YAML::const_iterator it = entry.value.begin(); it != entry.value.end(); ++it, ++index) {
    const YAML::Node item = *it;
    const Location loc = location_or(item, entry.value_loc);
    const std::string item_path = path + one_based(index);
    std::optional<std::string> text = scalar_text(item, loc, item_path, "a string");
    if (text && text->empty()) {
      error(loc, item_path + ": expected a non-empty string");
      text.reset();
    }
    if (!text) {
      ok = false;
      continue;
    }
    list.items.push_back(std::move(*text));
    list.locs.push_back(loc);
  }
  if (!ok) {
    return std::nullopt;
  }
  if (list.items.empty() && !allow_empty) {
    error(entry.value_loc, path + ": expected at least one " + std::string(what));
    return std::nullopt;
  }
  return list;
}

std::optional<std::vector<std::string>>
YamlReader::read_string_list(const Entry& entry,
                             const std::string& path,
                             std::string_view what,
                             bool allow_empty)
{
  std::optional<StringList> list = read_located_strings(entry, path, what, allow_empty);
  if (!list) {
    return std::nullopt;
  }
  return std::move(list->items);
}

std::optional<std::vector<std::string>>
YamlReader::read_checked_list(const Entry& entry,
                              const std::string& path,
                              std::string_view what,
                              bool (*valid)(std::string_view),
                              std::string_view expected)
{
  std::optional<StringList> list = read_located_strings(entry, path, what, false);
  if (!list) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < list->items.size(); ++i) {
    if (!valid(list->items[i])) {
      error(list->locs[i],
            path + one_based(i) + ": invalid " + std::string(what) + " " + quote(list->items[i])
                + " (" + std::string(expected) + ")");
    }
  }
  return std::move(list->items);
}

std::optional<core::Template>
YamlReader::compile_template(const std::string& text,
                             Location loc,
                             const std::string& path,
                             const std::vector<std::string>* allowed)
{
  // Names are quoted like every other manifest message (control characters escaped).
  core::Result<core::Template> compiled = core::Template::parse(text, &quote);
  if (!compiled) {
    error(loc, path + ": " + compiled.error().message);
    return std::nullopt;
  }
  if (allowed != nullptr) {
    for (const std::string& variable : compiled->variables()) {
      if (!contains(*allowed, variable)) {
        error(loc,
              path + ": unknown variable {" + variable + "} (available: " + join(*allowed) + ")");
      }
    }
  }
  return std::move(*compiled);
}

bool
YamlReader::check_reference(const std::string& who,
                            std::string_view noun,
                            const std::string& name,
                            std::span<const std::string> defined,
                            Location loc)
{
  if (contains(defined, name)) {
    return true;
  }
  error(loc,
        who + ": unknown " + std::string(noun) + " " + quote(name) + " (" + names_or_none(defined)
            + ")");
  return false;
}

} // namespace cachewarm::manifest::detail
