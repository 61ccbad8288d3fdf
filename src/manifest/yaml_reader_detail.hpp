#pragma once

// Typed readers over yaml-cpp nodes (yaml_reader.cpp): scalars, durations, rates, sizes, lists
// and mappings, each reporting `file:line:col: <path>: expected ..., got ...` and going on.
// Private to src/manifest: yaml-cpp is included by this header and the parser's .cpp files only,
// never by a public header.

#include "cachewarm/core/template.hpp"
#include "cachewarm/manifest/diagnostic.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/manifest/parse.hpp"
#include "cachewarm/manifest/units.hpp"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cachewarm::manifest::detail {

// The 1-based position of `mark` (yaml-cpp's marks are 0-based), or 0:0 when it has none.
Location location_of(const YAML::Mark& mark);

// Where `node` was written, or `fallback` when it is null or has no position (so an empty value
// points at its key, and an empty list element at its list).
Location location_or(const YAML::Node& node, Location fallback);

// How `node` looks, for "expected X, got Y" messages: the quoted scalar, "a list", "a mapping",
// "null" or "nothing".
std::string describe(const YAML::Node& node);

// The element suffix of a path: `[index + 1]`, so `groups[1]` is the first group.
std::string one_based(std::size_t index);

// One `key: value` pair of a mapping.
struct Entry {
  std::string key;
  Location key_loc;
  YAML::Node value;
  Location value_loc; // the value's position, or the key's when the value is empty
};

// The known fields of one mapping, in file order.
class Fields {
public:
  void add(Entry entry) { m_entries.push_back(std::move(entry)); }

  // The field called `name`, or nullptr.
  const Entry* find(std::string_view name) const
  {
    for (const Entry& entry : m_entries) {
      if (entry.key == name) {
        return &entry;
      }
    }
    return nullptr;
  }

  // Every field, in file order.
  const std::vector<Entry>& entries() const { return m_entries; }

  // The fields called one of `names`, in file order (to find the ones that exclude each other).
  std::vector<const Entry*> among(std::span<const std::string_view> names) const;

private:
  std::vector<Entry> m_entries;
};

// A list of non-empty strings and where each element was written (parallel vectors).
struct StringList {
  std::vector<std::string> items;
  std::vector<Location> locs;
};

// Reads typed values out of YAML nodes and collects a Diagnostic for every problem. Each reader
// reports `<path>: expected ..., got ...` at the value and returns nullopt on error, so a caller
// keeps its default and goes on to the next field. Scalars have `${VAR}` expanded with `env`
// first (an unset variable is an error at the value).
class YamlReader {
public:
  // Reports against `file_name`; `env` must outlive the reader.
  YamlReader(std::string_view file_name, const EnvLookup& env);

  // Records `message` at `loc`.
  void error(Location loc, std::string message);

  // How many problems have been recorded so far (to tell whether a part read cleanly).
  std::size_t error_count() const { return m_diagnostics.size(); }

  // Every problem recorded, ordered by line and column (stable: the order they were found in
  // among equal positions). Leaves the reader empty.
  std::vector<Diagnostic> take_diagnostics();

  // True when `node` (written at `loc`) is a mapping; otherwise reports `<path>: expected
  // <expected>, got ...` and returns false.
  bool expect_mapping(const YAML::Node& node,
                      Location loc,
                      const std::string& path,
                      std::string_view expected);

  // Mapping entries with scalar keys; reports non-scalar keys (`expected a <noun> name
  // <in_what>, got ...`) and drops duplicates (`duplicate <noun> "k" <in_what>`).
  std::vector<Entry>
  entries_of(const YAML::Node& map, std::string_view noun, std::string_view in_what);

  // entries_of plus a check against `allowed`: `unknown field "x" <in_what> (expected one of:
  // ...)`, with `; did you mean "y"?` when one is close. Unknown fields are dropped.
  Fields read_fields(const YAML::Node& map,
                     std::span<const std::string_view> allowed,
                     std::string_view in_what);

  // The `${VAR}`-expanded text of a scalar `node` at `loc`; anything else is `<path>: expected
  // <expected>, got ...`.
  std::optional<std::string> scalar_text(const YAML::Node& node,
                                         Location loc,
                                         const std::string& path,
                                         std::string_view expected);
  // A string (possibly empty).
  std::optional<std::string> read_string(const Entry& entry, const std::string& path);
  // A string; "" is `<path>: expected a non-empty string`.
  std::optional<std::string> read_nonempty(const Entry& entry, const std::string& path);
  // true/True/TRUE or false/False/FALSE.
  std::optional<bool> read_bool(const Entry& entry, const std::string& path);
  // A decimal int.
  std::optional<int> read_int(const Entry& entry, const std::string& path);
  // A decimal count in [`min`, `max`]; above `max` is `<path>: N is too large (at most max)`.
  std::optional<std::size_t>
  read_count(const Entry& entry, const std::string& path, std::size_t min, std::size_t max);
  // A duration (parse_duration).
  std::optional<std::chrono::milliseconds> read_duration(const Entry& entry,
                                                         const std::string& path);
  // A rate (parse_rate), `auto` included; callers that cannot adapt refuse it themselves.
  std::optional<Rate> read_rate(const Entry& entry, const std::string& path);
  // A jitter (parse_jitter).
  std::optional<Jitter> read_jitter(const Entry& entry, const std::string& path);
  // A positive byte count (parse_size); 0 is `expected a positive size, got "0"`.
  std::optional<std::size_t> read_size(const Entry& entry, const std::string& path);
  // A `throttle:` mapping {max_latency, max_memory, min_rate}; missing fields keep
  // ThrottleSpec's defaults. nullopt when any field is wrong.
  std::optional<ThrottleSpec> read_throttle(const Entry& entry, const std::string& path);
  // A list of non-empty strings with their positions; `what` names one element for the
  // `expected at least one <what>` error, which `allow_empty` turns off.
  std::optional<StringList> read_located_strings(const Entry& entry,
                                                 const std::string& path,
                                                 std::string_view what,
                                                 bool allow_empty);
  // read_located_strings without the positions.
  std::optional<std::vector<std::string>> read_string_list(const Entry& entry,
                                                           const std::string& path,
                                                           std::string_view what,
                                                           bool allow_empty);
  // A list of at least one `what` (read_located_strings) whose elements must each pass `valid`;
  // each one that does not is `<path>[i]: invalid <what> "x" (<expected>)`. Returns the list
  // with any invalid elements still in it (their diagnostics already refuse the manifest).
  std::optional<std::vector<std::string>> read_checked_list(const Entry& entry,
                                                            const std::string& path,
                                                            std::string_view what,
                                                            bool (*valid)(std::string_view),
                                                            std::string_view expected);

  // `<who>: unknown <noun> "x" (defined: a, b)` at `loc` unless `name` is one of `defined`
  // (a reference from a group or the defaults to a target, source or schedule). Returns whether
  // it is.
  bool check_reference(const std::string& who,
                       std::string_view noun,
                       const std::string& name,
                       std::span<const std::string> defined,
                       Location loc);

  // Compiles the `{name}` template `text`, written at `loc`: this is where a manifest's
  // templates are parsed, once. Reports a syntax error (`<path>: unclosed '{' at column N`, ...)
  // and, when `allowed` is given, each variable outside it (`<path>: unknown variable {x}
  // (available: ...)`). Returns the template (also when it has unknown variables, which are
  // reported), or nullopt on a syntax error.
  std::optional<core::Template> compile_template(const std::string& text,
                                                 Location loc,
                                                 const std::string& path,
                                                 const std::vector<std::string>* allowed);

private:
  std::string m_file;
  const EnvLookup& m_env;
  std::vector<Diagnostic> m_diagnostics;
};

} // namespace cachewarm::manifest::detail
