#pragma once

// Declarations shared by the manifest parser's files: parse.cpp (the top level: version,
// targets, sources, schedules, defaults and the list of groups) and parse_group.cpp (one entry
// of `groups:`). Private to src/manifest.

#include "yaml_reader_detail.hpp"

#include "cachewarm/manifest/manifest.hpp"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::manifest::detail {

// The largest `batch` (keys per pipeline) and `concurrency` (workers, transfers) a manifest
// may ask for.
inline constexpr std::size_t k_max_batch = 100000;
inline constexpr std::size_t k_max_concurrency = 1024;

// The names a group may refer to; registered even for broken entries so that one mistake does
// not cascade into "unknown target" errors.
struct DefinedNames {
  std::vector<std::string> targets;
  std::vector<std::string> sources;
  std::map<std::string, SourceKind, std::less<>> source_kinds; // the sources whose kind is known
  std::vector<std::string> schedules;
};

// `path` as written when absolute, else relative to `base_dir` (the manifest's directory; ""
// leaves `path` as it is).
std::string resolve_path(const std::string& path, const std::string& base_dir);

// The fields of a `targets:` entry.
inline constexpr std::string_view k_target_fields[] = {"url",
                                                       "cluster",
                                                       "connect_timeout",
                                                       "timeout",
                                                       "reconnect_budget",
                                                       "tls",
                                                       "sentinel",
                                                       "replicas_ack",
                                                       "replicas_ack_timeout"};

// Reads the target `entry` (at `path`, `targets.main`, with its known `fields`); files named by
// its `tls:` blocks resolve against `base_dir` and must exist. Problems go to `reader`.
TargetSpec parse_target(YamlReader& reader,
                        const Entry& entry,
                        const std::string& path,
                        const Fields& fields,
                        const std::string& base_dir);

// A non-empty list of `{match: REGEX, key: TEMPLATE, field: TEMPLATE}` rules at `node`
// (written at `loc`, called `path` in messages); nullopt (reported) when anything is wrong.
std::optional<std::vector<AccessLogRule>> read_access_log_rules(YamlReader& reader,
                                                                const YAML::Node& node,
                                                                Location loc,
                                                                const std::string& path);

// `keys_from: {access_log: {...}, top | cover [, max_keys]}`: the fields of the keys_from
// mapping, `path` its name in messages; log paths are resolved against `base_dir`. nullopt
// (reported) when anything is wrong.
std::optional<AccessLogSpec> read_access_log(YamlReader& reader,
                                             const Fields& keys_from,
                                             const std::string& path,
                                             const std::string& base_dir);

// What every group is read against: the sections above `groups:`, already read.
struct GroupContext {
  const DefinedNames& names;
  std::string base_dir;       // for keys_from files
  std::string default_target; // defaults.target, or the only target; empty: none
};

// Reads the entries of `groups:`, one at a time and in order (parse_group.cpp, values in
// parse_value.cpp), reporting every problem through the reader. Remembers the group names seen so
// far, for "duplicate group name".
class GroupParser {
public:
  // `reader` and `context.names` must outlive the parser.
  GroupParser(YamlReader& reader, GroupContext context);

  // Reads `groups[index + 1]`: `node`, written at `loc`. Returns nullopt only when the node is
  // not a mapping; a group with problems is still returned (its problems are reported).
  std::optional<GroupSpec> parse(const YAML::Node& node, Location loc, std::size_t index);

private:
  // How the messages about one group name it and its fields.
  struct Labels {
    std::string position; // `groups[2]`
    std::string path;     // `groups[2] ("name")`, the prefix of field paths
    std::string who;      // `group "name"`, or the position when the group has no name
    Location loc;         // the group's mapping
  };

  // What a group's key source leaves for its value.
  struct KeyVariables {
    bool query_group = false; // keys are query rows: column, hash, set, zset and list values
    // The variables a value template may use (`key` and the `with` variables); nullopt when
    // they are query columns or keys_from fields, only known at run time.
    std::optional<std::vector<std::string>> template_vars;
  };

  // name (unique among groups), priority, schedule.
  void read_identity(const Labels& labels, const Fields& fields, GroupSpec& group);
  // Exactly one of keys/pattern/query/keys_from, with its companions (with, key).
  KeyVariables read_key_source(const Labels& labels, const Fields& fields, GroupSpec& group);
  // Which key-source fields are present, and whether they may be combined.
  void check_key_source_fields(const Labels& labels, const Fields& fields, GroupSpec& group);
  // `pattern` (compiled) and `with`; returns whether both read cleanly.
  bool read_pattern(const Labels& labels, const Fields& fields, GroupSpec& group);
  // `key:`, the key template over query columns (`query`) or keys_from fields.
  void read_key_template(const Labels& labels, const Entry& key, bool query, GroupSpec& group);
  // ttl, ttl_jitter, only_missing, batch, concurrency, rate, throttle and the targets.
  void read_write_policy(const Labels& labels, const Fields& fields, GroupSpec& group);
  // `targets_by_segment: {SEGMENT: TARGET, ...}` (the group is expanded by the caller).
  void read_targets_by_segment(const Labels& labels, const Entry& entry, GroupSpec& group);
  // keys_from snapshot takes no `key`; `value: {restore: snapshot}` needs `keys_from: {snapshot:
  // FILE}` and no ttl or ttl_jitter; access_log `by` needs `targets_by_segment`.
  void check_combinations(const Labels& labels, const Fields& fields, const GroupSpec& group);
  // `target: x` or `targets: [x, y]`, else the default target (an error when several exist).
  void read_targets(const Labels& labels, const Fields& fields, GroupSpec& group);

  // `with:`, the pattern's variables (ranges or lists); nullopt when any is broken.
  std::optional<std::vector<PatternVar>> parse_with(const Entry& entry, const std::string& path);
  // `query: {source, sql}`; the source must be sqlite or postgres.
  std::optional<QuerySpec> parse_query(const Entry& entry, const Labels& labels);
  // `{file: PATH}` or `{source: S, get: PATH}`, with an optional `format` (else from the
  // extension) and `field` (required for jsonl and csv, refused for lines and sitemap).
  std::optional<KeysFromSpec> parse_keys_from(const Entry& entry, const Labels& labels);
  // Reads `file` or `source` + `get` into `spec`; returns the format their extension implies,
  // or nullopt when the path is unreadable.
  std::optional<KeyFormat> read_keys_from_location(const Entry& entry,
                                                   const Fields& fields,
                                                   const Labels& labels,
                                                   KeysFromSpec& spec);
  // Reads `format` (overriding `format`) and `field` into `spec`.
  void read_keys_from_format(const Entry& entry,
                             const Fields& fields,
                             const std::string& path,
                             std::optional<KeyFormat> format,
                             KeysFromSpec& spec);
  // `value:` (parse_value.cpp): exactly one kind, the companions it accepts, and its fields;
  // nullopt when the kind or a companion is wrong.
  std::optional<ValueSpec>
  parse_value(const Entry& entry, const Labels& labels, const KeyVariables& vars);
  // The one field of `value:` that picks its kind, or nullptr (reported) when there is none or
  // more than one.
  const Entry* value_kind(const Entry& entry, const Fields& fields, const std::string& path);
  // Reports every field `kind` does not accept; false when there was one.
  bool check_value_companions(const Fields& fields,
                              const Entry& kind,
                              const std::string& path,
                              bool query_group);
  // A lookup value: `{source, sql, params}` or `{source, get, json_pointer, hash_from_json}`,
  // `kind` being its `sql` or `get` field.
  ValueSpec read_lookup(const Entry& entry,
                        const Fields& fields,
                        const Entry& kind,
                        const Labels& labels,
                        const KeyVariables& vars);
  // `{member: C, score: D}`: the two columns, each empty when missing or broken (reported).
  std::pair<std::string, std::string>
  parse_zset(const Entry& entry, const std::string& path, const std::string& who);
  // Checks that a group's source exists and is of a kind `use` allows.
  void check_source(const std::string& who,
                    const std::string& name,
                    Location loc,
                    bool want_http,
                    std::string_view use);

  YamlReader& m_reader;
  GroupContext m_context;
  std::map<std::string, int> m_group_lines; // group name -> line of its first definition
};

} // namespace cachewarm::manifest::detail
