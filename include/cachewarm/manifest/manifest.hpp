#pragma once

#include "cachewarm/manifest/units.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cachewarm::manifest {

// Where a manifest element was written: 1-based line and column (0 when unknown).
struct Location {
  int line = 0;
  int column = 0;
  bool operator==(const Location&) const = default;
};

// `targets.<name>`: a Redis server or cluster to warm.
struct TargetSpec {
  std::string name;
  std::string url; // redis://[user:pass@]host:port[/db] or unix:///path[?db=N], ${VAR} expanded
  bool cluster = false; // Redis Cluster (not supported yet at run time)
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{10000};
  // How long a worker keeps reconnecting (and waiting out -BUSY/-LOADING replies) mid-run.
  std::chrono::milliseconds reconnect_budget{30000};
  Location loc;
};

// `throttle:` adaptive rate control (also what `rate: auto` means, with these defaults). While
// writing, cachewarm watches the target and backs off (halving its rate) whenever a write round
// trip exceeds `max_latency`, its probe PINGs slow to twice their idle latency, used_memory
// passes `max_memory` of maxmemory, or keys get evicted; otherwise it speeds up step by step, up
// to the group's numeric `rate` if one is given. Never slower than `min_rate`.
struct ThrottleSpec {
  std::chrono::milliseconds max_latency{5};
  double max_memory = 0.9; // fraction of maxmemory (`90%`)
  Rate min_rate{500.0, false};
  Location loc;
  bool operator==(const ThrottleSpec&) const = default;
};

struct HttpSourceSpec {
  std::string base_url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{5000};         // whole transfer
  std::chrono::milliseconds connect_timeout{2000}; // TCP + TLS handshake
  std::size_t concurrency = 16;                    // transfers in flight (1..1024)
  Rate rate;                                       // requests per second, unlimited by default
  int retries = 2;                                 // extra attempts on errors, 429 and 5xx (0..100)
  std::size_t max_body = 8 * 1024 * 1024;          // `max_body: 8MiB`; bigger is `too_large`
};

enum class SourceKind { sqlite, postgres, http };

// The manifest's word for a source kind ("sqlite", "postgres", "http").
std::string_view to_string(SourceKind kind);

// `sources.<name>`: where values come from.
struct SourceSpec {
  std::string name;
  SourceKind kind = SourceKind::sqlite;
  std::string sqlite_path; // absolute or relative to the manifest's directory, as resolved
  std::string postgres;    // libpq URI or conninfo
  HttpSourceSpec http;
  Location loc;
};

// `schedules.<name>`: when groups are due. Parsed and checked now; evaluated by a later feature.
struct ScheduleSpec {
  std::string name;
  std::string peak;               // "09:00-18:00"
  std::vector<std::string> days;  // mon..sun
  std::vector<std::string> dates; // "MM-DD"
  std::string at;                 // "HH:MM"
  std::string cron;               // five fields
  std::string timezone = "UTC";
  std::chrono::milliseconds lead{0};
  Location loc;
};

// One variable of `with:` (a range or a list of values).
struct PatternVar {
  std::string name;
  std::optional<Range> range;
  std::vector<std::string> values; // used when !range
  Location loc;
};

enum class ValueKind {
  column,      // {column: C}    from the group's query row
  hash,        // {hash: [C...]} HSET one field per column of the query row
  lookup_sql,  // {source, sql, params} per-key lookup, first column of the first row
  lookup_http, // {source, get, json_pointer, hash_from_json} per-key HTTP GET
  text,        // {text: "template"}
  set,         // {set: C}                      SADD C of every row sharing the key
  zset,        // {zset: {member: C, score: D}} ZADD of every row sharing the key
  list,        // {list: C}                     RPUSH C of every row sharing the key, in order
};

struct ValueSpec {
  ValueKind kind = ValueKind::text;
  std::string column;
  std::vector<std::string> hash_columns;
  std::string source;
  std::string sql;
  std::vector<std::string> params; // templates, bound as parameters
  std::string get;                 // URL path template
  std::string json_pointer;
  bool hash_from_json = false; // a JSON object becomes a hash (one field per member)
  std::string text;            // template
  std::string member;          // set/list: the column; zset: the member column
  std::string score;           // zset: the score column
  Location loc;
};

// Where a group's keys come from when they are data (`keys_from:`).
enum class KeyFormat {
  lines,   // one key per line (blank lines and lines starting with '#' skipped)
  jsonl,   // JSON Lines: one object per line, `field` names the key's member
  csv,     // CSV with a header line, `field` names the key's column
  json,    // a JSON array of strings, or of objects with `field`
  sitemap, // sitemap.xml: every <loc> URL
};

struct KeysFromSpec {
  std::string file;                    // resolved like sqlite paths; or:
  std::string source;                  // an http source, with
  std::string get;                     // the path to GET (no template variables)
  KeyFormat format = KeyFormat::lines; // default from the extension (.jsonl/.ndjson, .csv, .json,
                                       // .xml) of `file` or `get`, else lines
  std::string field;                   // jsonl/json objects/csv: required; else empty
  Location loc;
};

struct QuerySpec {
  std::string source;
  std::string sql;
  Location loc;
};

// One entry of `groups:`. Optional fields fall back to `defaults`.
struct GroupSpec {
  std::string name;
  int priority = 0;
  std::string schedule;          // empty: none
  std::vector<std::string> keys; // literal keys (templates over {key} are not allowed)
  std::string pattern;           // key template over `with` variables
  std::vector<PatternVar> with;
  std::optional<QuerySpec> query;        // bulk query: one row per key (or per member for set,
                                         // zset and list values, rows grouped by key)
  std::optional<KeysFromSpec> keys_from; // keys from a file or an HTTP document
  std::string key; // key template over query columns or keys_from fields (optional there)
  std::optional<ValueSpec> value; // required
  std::optional<std::chrono::milliseconds> ttl;
  std::optional<Jitter> ttl_jitter;
  std::vector<std::string> targets; // `target: x` or `targets: [x, y]`; empty: defaults
  std::optional<bool> only_missing;
  std::optional<std::size_t> batch;
  std::optional<std::size_t> concurrency;
  std::optional<Rate> rate;
  std::optional<ThrottleSpec> throttle;
  Location loc;         // the group's mapping
  Location keys_loc;    // whichever key-source field was given (keys/pattern/query)
  Location targets_loc; // `target`/`targets`, or loc when absent
};

struct Defaults {
  std::string target; // empty: the only target if there is exactly one
  std::chrono::milliseconds ttl{0};
  Jitter ttl_jitter;
  std::size_t batch = 500;
  std::size_t concurrency = 4;
  Rate rate; // unlimited
  std::optional<ThrottleSpec> throttle;
  bool only_missing = false;
  Location loc;
};

struct Manifest {
  int version = 1;
  std::string path; // as given on the command line
  std::string dir;  // directory of `path`, for relative file references
  std::vector<TargetSpec> targets;
  std::vector<SourceSpec> sources;
  std::vector<ScheduleSpec> schedules;
  Defaults defaults;
  std::vector<GroupSpec> groups;

  // Lookups by name; nullptr if absent.
  const TargetSpec* find_target(std::string_view name) const;
  const SourceSpec* find_source(std::string_view name) const;
  const ScheduleSpec* find_schedule(std::string_view name) const;
  const GroupSpec* find_group(std::string_view name) const;
};

} // namespace cachewarm::manifest
