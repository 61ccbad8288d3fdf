#pragma once

#include "cachewarm/core/template.hpp"
#include "cachewarm/core/tls_settings.hpp"
#include "cachewarm/manifest/units.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The manifest as plain structs: what parse_manifest (parse.hpp) reads out of the YAML. Every
// struct is a value with no behaviour beyond lookups; later stages (plan, exec) read it and never
// parse YAML. A Manifest that parse_manifest returns has passed every check listed below (each
// struct's "Guaranteed" line); checks that need the outside world (time zones, cron fields, URL
// details, SQL, key-template columns) are made when the plan or the run is set up.
//
// Templates (`{name}` placeholders: pattern, key, text, get, params) are compiled when the
// manifest is loaded, where a syntax error gets its file:line:col, and are held as core::Template
// values: later stages bind and render them and never parse their text again (Template::text()
// gives back what was written, for messages).

namespace cachewarm::manifest {

// Where a manifest element was written: 1-based line and column (0 when unknown).
struct Location {
  int line = 0;
  int column = 0;
  bool operator==(const Location&) const = default;
};

// `targets.<name>.sentinel`: how to talk to the sentinels of a redis+sentinel:// target.
struct SentinelSpec {
  std::string username; // AUTH to the sentinels (not the data nodes' credentials)
  std::string password;
  std::optional<core::TlsSettings> tls; // TLS to the sentinels
};

// `targets.<name>`: a Redis server or cluster to warm.
// Guaranteed: `name` is made of [A-Za-z0-9_.-] and unique among targets; `url` is non-empty and
// starts with redis://, rediss://, redis+sentinel://, rediss+sentinel:// or unix:// (the rest is
// parsed by the Redis sink); durations are >= 0; `tls` only with a rediss scheme, its files
// (absolute paths) existed when the manifest was read, cert_file and key_file come together;
// `sentinel` only with a sentinel scheme; replicas_ack >= 0.
struct TargetSpec {
  std::string name;
  std::string url; // redis://[user:pass@]host:port[/db] or unix:///path[?db=N], ${VAR} expanded
  bool cluster = false;                             // Redis Cluster (not supported yet at run time)
  std::chrono::milliseconds connect_timeout{2000};  // `connect_timeout:` opening the connection
  std::chrono::milliseconds command_timeout{10000}; // `timeout:` waiting for a reply
  // How long a worker keeps reconnecting (and waiting out -BUSY/-LOADING replies) mid-run.
  std::chrono::milliseconds reconnect_budget{30000};
  std::optional<core::TlsSettings> tls; // `tls:` (rediss:// URLs)
  std::optional<SentinelSpec> sentinel; // `sentinel:` (redis+sentinel:// URLs)
  int replicas_ack = 0;                 // WAIT for this many replicas after each round
  std::chrono::milliseconds replicas_ack_timeout{5000};
  Location loc; // the target's name
};

// `throttle:` adaptive rate control (also what `rate: auto` means, with these defaults). While
// writing, cachewarm watches the target and backs off (halving its rate) whenever a write round
// trip exceeds `max_latency`, its probe PINGs slow to twice their idle latency, used_memory
// passes `max_memory` of maxmemory, or keys get evicted; otherwise it speeds up step by step, up
// to the group's numeric `rate` if one is given. Never slower than `min_rate`.
// Guaranteed: max_latency > 0; 0 < max_memory <= 1; min_rate is a positive number, not `auto`.
struct ThrottleSpec {
  std::chrono::milliseconds max_latency{5};
  double max_memory = 0.9;     // fraction of maxmemory (`90%`)
  Rate min_rate{500.0, false}; // keys per second
  Location loc;                // the `throttle:` mapping
  bool operator==(const ThrottleSpec&) const = default;
};

// `sources.<name>.http`: an HTTP(S) API that values and key lists are fetched from.
// Guaranteed: `base_url` starts with http:// or https://; header names are non-empty and unique;
// the numbers are within the ranges noted; `rate` is never adaptive.
struct HttpSourceSpec {
  std::string base_url; // request paths (`get:`) are appended to it
  std::vector<std::pair<std::string, std::string>> headers; // name, value (${VAR} expanded),
                                                            // in file order
  std::chrono::milliseconds timeout{5000};                  // whole transfer
  std::chrono::milliseconds connect_timeout{2000};          // TCP + TLS handshake
  std::size_t concurrency = 16;                             // transfers in flight (1..1024)
  Rate rate;                              // requests per second, unlimited by default
  int retries = 2;                        // extra attempts on errors, 429 and 5xx (0..100)
  std::size_t max_body = 8 * 1024 * 1024; // `max_body: 8MiB`; bigger is `too_large`
};

// What a source is; a source has exactly one kind.
enum class SourceKind { sqlite, postgres, http };

// The manifest's word for a source kind ("sqlite", "postgres", "http").
std::string_view to_string(SourceKind kind);

// `sources.<name>`: where values (and keys) come from.
// Guaranteed: `name` is made of [A-Za-z0-9_.-] and unique among sources; exactly one of
// `sqlite`, `postgres` or `http` was given, and only the field of `kind` is set (non-empty).
struct SourceSpec {
  std::string name;
  SourceKind kind = SourceKind::sqlite;
  // sqlite: the database file, resolved against the manifest's directory when relative;
  // `:memory:` and `file:` URIs are kept as written.
  std::string sqlite_path;
  std::string postgres; // postgres: a libpq URI or conninfo (checked when connecting)
  HttpSourceSpec http;  // http
  Location loc;         // the source's name
};

// `schedules.<name>`: when groups are due (evaluated by plan::Schedule).
// Guaranteed: `name` is made of [A-Za-z0-9_.-] and unique among schedules; exactly one of
// `peak`, `dates` and `cron` is non-empty; `days` only with `peak`, `at` only with `dates`; each
// text has the format noted. Not checked here: the time zone's existence and the cron fields'
// values (plan::Schedule::compile reports them).
struct ScheduleSpec {
  std::string name;
  std::string peak;                  // "HH:MM-HH:MM" (an end at or before the start is next day)
  std::vector<std::string> days;     // peak: mon..sun, at least one if given; empty: every day
  std::vector<std::string> dates;    // "MM-DD" days of a (leap) year, at least one if given
  std::string at;                    // dates: "HH:MM"; empty: 00:00
  std::string cron;                  // five whitespace-separated fields
  std::string timezone = "UTC";      // an IANA name, non-empty
  std::chrono::milliseconds lead{0}; // how long before the due time warming starts (>= 0)
  Location loc;                      // the schedule's name
};

// One variable of `with:` (a range or a list of values).
// Guaranteed: `name` is made of [A-Za-z0-9_.-], is not `key`, is unique in `with` and is used by
// the pattern; either `range` is set, or `values` holds at least one non-empty value.
struct PatternVar {
  std::string name;
  std::optional<Range> range;      // `first..last`
  std::vector<std::string> values; // used when !range (a single scalar is one value)
  Location loc;                    // the variable's name
};

// What a group writes for each key; each kind is picked by the `value:` shown.
enum class ValueKind {
  column,      // {column: C}    from the group's query row
  hash,        // {hash: [C...]} HSET one field per column of the query row
  lookup_sql,  // {source, sql, params} per-key lookup, first column of the first row
  lookup_http, // {source, get, json_pointer, hash_from_json} per-key HTTP GET
  text,        // {text: "template"}
  set,         // {set: C}                      SADD C of every row sharing the key
  zset,        // {zset: {member: C, score: D}} ZADD of every row sharing the key
  list,        // {list: C}                     RPUSH C of every row sharing the key, in order
  restore,     // {restore: snapshot}           RESTORE the DUMP a snapshot (--values) holds
};

// True for the kinds built from every row sharing a key (set, zset, list): their rows must be
// grouped by key, and a resumed run rebuilds them from the top.
inline bool
is_collection(ValueKind kind)
{
  return kind == ValueKind::set || kind == ValueKind::zset || kind == ValueKind::list;
}

// A group's `value:`: what is written under each key.
// Guaranteed: exactly one kind was given, with only the companion fields that kind accepts, and
// only the fields of `kind` below are set (the others stay empty):
// - column: `column` (non-empty); hash: `hash_columns` (at least one, non-empty);
//   set, list: `member`; zset: `member` and `score`. These read the group's query rows, so they
//   appear only in groups whose key source is `query`.
// - lookup_sql: `source` (a sqlite or postgres source), `sql` (non-empty), `params` (possibly
//   none); lookup_http: `source` (an http source), `get` (non-empty text), `json_pointer` ("" or
//   starting with '/'), `hash_from_json`.
// - text: `text` (may be empty).
// - restore: nothing else; the group's key source is `keys_from: {snapshot: FILE}` and it sets
//   no `ttl` or `ttl_jitter` (a restored key keeps the TTL it had).
// Every template is compiled. In groups with `keys` or `pattern` its variables are known
// ({key} and the `with` variables) and checked; in `query` and `keys_from` groups they name
// columns or fields, checked when the group is set up.
struct ValueSpec {
  ValueKind kind = ValueKind::text;
  std::string column;                    // column: the query column
  std::vector<std::string> hash_columns; // hash: one hash field per column, named after it
  std::string source;                    // lookup_sql, lookup_http: a `sources` name
  std::string sql;                       // lookup_sql: one statement, `?` or `$N` parameters
  std::vector<core::Template> params;    // lookup_sql: bound as parameters in order
  core::Template get;                    // lookup_http: URL path, after base_url
  std::string json_pointer;    // lookup_http: RFC 6901 pointer into the JSON body; "": whole body
  bool hash_from_json = false; // lookup_http: a JSON object becomes a hash (one field per member)
  core::Template text;         // text
  std::string member;          // set/list: the column; zset: the member column
  std::string score;           // zset: the score column
  Location loc;                // the `value:` mapping
};

// Where a group's keys come from when they are data (`keys_from:`).
enum class KeyFormat {
  lines,   // one key per line (blank lines and lines starting with '#' skipped)
  jsonl,   // JSON Lines: one object per line, `field` names the key's member
  csv,     // CSV with a header line, `field` names the key's column
  json,    // a JSON array of strings, or of objects with `field`
  sitemap, // sitemap.xml: every <loc> URL
};

// A rule of `keys_from.access_log.rules` (or of a --rules file): where the regex `match` finds a
// match in the rendered `field` (empty: the request path), `key` gives the key.
struct AccessLogRule {
  std::string match;
  std::string key;
  std::string field;
  Location loc;
};

// `keys_from: {access_log: {...}, top: K}`: keys predicted from access logs when the group is
// set up (see cachewarm predict). Guaranteed: `files` is not empty; `format` and `time_unit`
// (when set) are names the log reader knows; `status_classes` are 1..5; `window` >= 1s; exactly
// one of `top` and `cover` is meaningful (`cover` set or not). Templates, regexes and fields are
// checked when the log is opened.
struct AccessLogSpec {
  std::vector<std::string> files; // resolved like sqlite paths
  std::string format = "combined";
  bool header = false;
  std::string time_field;
  std::string time_unit;
  std::string key; // key template over the log's fields; empty: {path} (combined/common)
  std::vector<AccessLogRule> rules;
  std::string client;
  std::vector<int> status_classes;
  std::vector<std::string> methods;
  std::string path; // keep only requests whose path matches this regex
  std::chrono::milliseconds window{std::chrono::hours(1)};
  std::size_t capacity = 0; // 0: the model's default
  std::size_t top = 1000;
  std::optional<double> cover;
  std::size_t max_keys = 10000;
  // Segments: `by` is a template over the log's fields naming each request's segment (or, with
  // `prefixes`, its client address: the segment is the name whose prefixes hold it, "other"
  // when none does). `prefixes` keeps the file's order: (prefix, segment name) pairs.
  std::string by;
  std::vector<std::pair<std::string, std::string>> prefixes;
  // Set on the groups a `targets_by_segment` group becomes: predict from this segment alone.
  std::string segment;
  Location loc; // the `access_log:` mapping
};

// A group's `keys_from:`: a document listing the keys, access logs to predict them from, or a
// snapshot of a live cache (cachewarm snapshot).
// Guaranteed: exactly one of `file`, `source` + `get`, `access_log` and `snapshot` is set; `source`
// names an http source; `get` has no template variables; `field` is non-empty for jsonl and csv,
// empty for lines and sitemap, and optional for json (needed there only for arrays of objects).
struct KeysFromSpec {
  std::string file;                    // resolved like sqlite paths; or:
  std::string source;                  // an http source, with
  std::string get;                     // the path to GET (no template variables)
  KeyFormat format = KeyFormat::lines; // default from the extension (.jsonl/.ndjson, .csv, .json,
                                       // .xml) of `file` or `get`, else lines
  std::string field;                   // jsonl/json objects/csv: required; else empty
  std::optional<AccessLogSpec> access_log; // or: keys predicted from access logs
  std::string snapshot; // or: a snapshot file (resolved like sqlite paths), hottest keys first
  Location loc;         // the `keys_from:` mapping
};

// A group's `query:`: one bulk query whose rows give the keys (through the group's `key`
// template over column names) and, for row value kinds, the values.
// Guaranteed: `source` names a sqlite or postgres source; `sql` is non-empty (whether it
// prepares, and has the key's columns, is checked when the group is set up).
struct QuerySpec {
  std::string source; // a `sources` name
  std::string sql;    // one SELECT, streamed row by row
  Location loc;       // the `query:` mapping
};

// One entry of `groups:`. Optional fields fall back to `defaults` (plan::make_plan resolves them).
// Guaranteed: `name` is made of [A-Za-z0-9_.-] and unique among groups; exactly one key source
// is set: `keys` (at least one literal key), `pattern` (with `with`, each variable defined and
// used), `query` (with `key`) or `keys_from` (`key` optional); `key`, when set, has at least one
// variable; `value` is set; `schedule` and every name in `targets` are defined, with no target
// twice; `batch` is 1..100000 and `concurrency` 1..1024.
struct GroupSpec {
  std::string name;
  int priority = 0;              // higher runs first; equal priorities keep manifest order
  std::string schedule;          // a `schedules` name; empty: none (never due for `run --due`)
  std::vector<std::string> keys; // literal keys (templates over {key} are not allowed)
  std::optional<core::Template> pattern; // key template over `with` variables
  std::vector<PatternVar> with;
  std::optional<QuerySpec> query;        // bulk query: one row per key (or per member for set,
                                         // zset and list values, rows grouped by key)
  std::optional<KeysFromSpec> keys_from; // keys from a file or an HTTP document
  // Key template over query columns or keys_from fields: always set with `query`, optional with
  // `keys_from`.
  std::optional<core::Template> key;
  std::optional<ValueSpec> value;               // required: always set once parsed
  std::optional<std::chrono::milliseconds> ttl; // 0: no expiry
  std::optional<Jitter> ttl_jitter;
  std::vector<std::string> targets; // `target: x` or `targets: [x, y]`; empty: defaults.target
  std::optional<bool> only_missing; // write only keys that do not exist yet
  std::optional<std::size_t> batch; // commands per pipelined batch
  std::optional<std::size_t> concurrency; // connections (workers) per target
  std::optional<Rate> rate;               // keys per second per target; may be `auto`
  std::optional<ThrottleSpec> throttle;
  // A group with `targets_by_segment: {eu: eu, us: main}` is replaced, when the manifest is
  // read, by one group per segment named NAME.SEGMENT, writing to that segment's target and
  // predicting from that segment's requests; `family` is then NAME (what -g also selects).
  std::string family;
  // While parsing only (empty in a Manifest): the (segment, target) pairs to expand.
  std::vector<std::pair<std::string, std::string>> targets_by_segment;
  Location loc;         // the group's mapping
  Location keys_loc;    // whichever key-source field was given (keys/pattern/query/keys_from)
  Location targets_loc; // `target`/`targets`, or loc when absent
};

// `defaults:`: what a group that does not set a field gets. Every field has the default shown
// when the section or the field is absent.
// Guaranteed: `target` names a defined target, or is the only target when there is exactly one
// and none was given, or is empty (then, with several targets, every group names its own);
// `batch` is 1..100000 and `concurrency` 1..1024.
struct Defaults {
  std::string target;
  std::chrono::milliseconds ttl{0};     // 0: no expiry
  Jitter ttl_jitter;                    // none
  std::size_t batch = 500;              // commands per pipelined batch
  std::size_t concurrency = 4;          // connections (workers) per target
  Rate rate;                            // keys per second per target; unlimited, may be `auto`
  std::optional<ThrottleSpec> throttle; // none (`rate: auto` then uses ThrottleSpec{})
  bool only_missing = false;            // write only keys that do not exist yet
  Location loc;                         // the `defaults:` value; 0:0 when absent
};

// A whole manifest, as parse_manifest returns it when there are no diagnostics.
// Guaranteed: `version` is 1; there is at least one target; names are unique within targets,
// sources, schedules and groups; every name a group or `defaults` refers to (target, source,
// schedule) is defined, and a group's source is of the kind its use needs. Each vector keeps
// the file's order. The structs hold copies: a Manifest does not refer to the YAML text.
struct Manifest {
  int version = 1;
  std::string path;                // as given on the command line (the file name of parse_manifest)
  std::string dir;                 // directory of `path`, for relative file references
  std::vector<TargetSpec> targets; // at least one
  std::vector<SourceSpec> sources; // may be empty
  std::vector<ScheduleSpec> schedules; // may be empty
  Defaults defaults;
  std::vector<GroupSpec> groups; // may be empty (nothing to warm)

  // Lookups by name; nullptr if absent. The pointers stay valid while the Manifest is not
  // modified.
  const TargetSpec* find_target(std::string_view name) const;
  const SourceSpec* find_source(std::string_view name) const;
  const ScheduleSpec* find_schedule(std::string_view name) const;
  const GroupSpec* find_group(std::string_view name) const;
};

} // namespace cachewarm::manifest
