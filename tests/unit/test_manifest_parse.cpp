#include "cachewarm/manifest/diagnostic.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/manifest/parse.hpp"

#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using cachewarm::manifest::Diagnostic;
using cachewarm::manifest::EnvLookup;
using cachewarm::manifest::GroupSpec;
using cachewarm::manifest::KeyFormat;
using cachewarm::manifest::LoadResult;
using cachewarm::manifest::Location;
using cachewarm::manifest::Manifest;
using cachewarm::manifest::SourceKind;
using cachewarm::manifest::ValueKind;

namespace {

// The manifest of DESIGN.md, verbatim.
constexpr std::string_view k_design_manifest = R"(version: 1
targets:                      # where warmed data goes; ${VAR} reads the environment
  main: {url: "redis://default:${REDIS_PASSWORD}@127.0.0.1:6379/0"}
  eu:   {url: "redis://10.1.0.5:6379", cluster: true}
sources:                      # where values come from
  catalog: {sqlite: data/catalog.db}                 # embedded default; path relative to the manifest
  orders:  {postgres: "postgresql://app@db/orders"}  # libpq URI or conninfo
  api:
    http: {base_url: "https://api.example.com", headers: {Authorization: "Bearer ${API_TOKEN}"},
           timeout: 5s, concurrency: 32, rate: 200/s, retries: 3}
schedules:
  business-hours: {peak: "09:00-18:00", days: [mon, tue, wed, thu, fri],
                   timezone: America/New_York, lead: 30m}
  black-friday:   {dates: ["11-27", "11-28"], at: "05:30", timezone: UTC}
  nightly:        {cron: "0 3 * * *", timezone: Europe/Berlin}
defaults: {target: main, ttl: 1h, batch: 500, concurrency: 4, rate: 50000/s}
groups:
  - name: homepage                        # literal keys, value fetched per key over HTTP
    priority: 100
    schedule: business-hours
    keys: [page:home, page:about]
    value: {source: api, get: "/pages/{key}"}
  - name: top-products                    # one bulk query yields key + value rows
    schedule: business-hours
    query: {source: catalog, sql: "SELECT id, name, price, payload FROM products ORDER BY views DESC LIMIT 100000"}
    key: "product:{id}"
    value: {column: payload}              # or {hash: [name, price]} -> HSET field per column
    ttl: 2h
    ttl_jitter: 10%                       # spread expiry so warmed keys don't all expire at once
  - name: product-pages                   # a pattern expanded over ranges and lists (cartesian)
    pattern: "product:{id}:page:{lang}"
    with: {id: "1..5000", lang: [en, de]}
    value: {source: api, get: "/products/{id}?lang={lang}", json_pointer: /data}
  - name: after-deploy                    # every region; never overwrite what traffic cached
    targets: [main, eu]
    only_missing: true
    keys: [config:features, config:banners]
    value: {source: catalog, sql: "SELECT body FROM blobs WHERE name = ?", params: ["{key}"]}
)";

// A minimal valid manifest; tests append or alter lines to break it in one place.
constexpr std::string_view k_minimal = R"(version: 1
targets:
  main: {url: "redis://127.0.0.1:6379"}
groups:
  - name: g
    keys: [a, b]
    value: {text: hello}
)";

EnvLookup
fake_env(std::map<std::string, std::string, std::less<>> vars)
{
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

LoadResult
parse(std::string_view text, const EnvLookup& env = fake_env({}))
{
  return cachewarm::manifest::parse_manifest(text, "m.yaml", "/etc/cw", env);
}

// The only diagnostic of `text`, as `line:column: message` (file name left out).
std::string
only_problem(std::string_view text, const EnvLookup& env = fake_env({}))
{
  const LoadResult result = parse(text, env);
  CHECK_FALSE(result.manifest.has_value());
  REQUIRE(result.diagnostics.size() == 1);
  const Diagnostic& diagnostic = result.diagnostics.front();
  CHECK(diagnostic.file == "m.yaml");
  return std::to_string(diagnostic.loc.line) + ":" + std::to_string(diagnostic.loc.column) + ": "
         + diagnostic.message;
}

// Every diagnostic of `text`, one `line:column: message` each.
std::vector<std::string>
all_problems(std::string_view text)
{
  const LoadResult result = parse(text);
  std::vector<std::string> lines;
  for (const Diagnostic& diagnostic : result.diagnostics) {
    lines.push_back(std::to_string(diagnostic.loc.line) + ":"
                    + std::to_string(diagnostic.loc.column) + ": " + diagnostic.message);
  }
  return lines;
}

// A manifest with one target and `group` (already indented as a list item) as its only group.
std::string
with_group(std::string_view group)
{
  return std::string("version: 1\n"
                     "targets:\n"
                     "  main: {url: \"redis://127.0.0.1:6379\"}\n"
                     "sources:\n"
                     "  db: {sqlite: cache.db}\n"
                     "  api: {http: {base_url: \"http://127.0.0.1:8080\"}}\n"
                     "groups:\n")
         + std::string(group);
}

// A manifest whose only source is the http source "api" with `fields` appended to its mapping
// (line 6, after `base_url`, from column 47).
std::string
with_http_fields(std::string_view fields)
{
  return std::string("version: 1\n"
                     "targets:\n"
                     "  main: {url: \"redis://127.0.0.1:6379\"}\n"
                     "sources:\n"
                     "  api:\n"
                     "    http: {base_url: \"http://127.0.0.1:8080\", ")
         + std::string(fields)
         + "}\n"
           "groups: []\n";
}

Manifest
design_manifest()
{
  const LoadResult result =
      parse(k_design_manifest, fake_env({{"REDIS_PASSWORD", "s3cret"}, {"API_TOKEN", "tok"}}));
  INFO(cachewarm::manifest::to_string(result.diagnostics));
  REQUIRE(result.diagnostics.empty());
  REQUIRE(result.manifest.has_value());
  return *result.manifest;
}

} // namespace

TEST_SUITE("manifest::parse")
{
  // --- The DESIGN.md manifest ---------------------------------------------------------------

  TEST_CASE("the design manifest parses without diagnostics")
  {
    const Manifest manifest = design_manifest();
    CHECK(manifest.version == 1);
    CHECK(manifest.path == "m.yaml");
    CHECK(manifest.dir == "/etc/cw");
    CHECK(manifest.targets.size() == 2);
    CHECK(manifest.sources.size() == 3);
    CHECK(manifest.schedules.size() == 3);
    CHECK(manifest.groups.size() == 4);
  }

  TEST_CASE("design manifest: targets expand the environment and keep their options")
  {
    const Manifest manifest = design_manifest();
    const auto* main = manifest.find_target("main");
    REQUIRE(main != nullptr);
    CHECK(main->url == "redis://default:s3cret@127.0.0.1:6379/0");
    CHECK_FALSE(main->cluster);
    CHECK(main->connect_timeout == 2000ms);
    CHECK(main->command_timeout == 10000ms);
    CHECK(main->reconnect_budget == 30000ms);
    CHECK(main->loc == Location{3, 3});
    const auto* eu = manifest.find_target("eu");
    REQUIRE(eu != nullptr);
    CHECK(eu->url == "redis://10.1.0.5:6379");
    CHECK(eu->cluster);
    CHECK(manifest.find_target("nope") == nullptr);
  }

  TEST_CASE("a target takes reconnect_budget as a duration")
  {
    const LoadResult result = parse("version: 1\n"
                                    "targets:\n"
                                    "  main: {url: \"redis://h:1\", reconnect_budget: 3s}\n"
                                    "  eu: {url: \"redis://h:2\", reconnect_budget: 1500ms}\n"
                                    "groups: []\n");
    REQUIRE(result.manifest.has_value());
    CHECK(result.diagnostics.empty());
    REQUIRE(result.manifest->find_target("main") != nullptr);
    CHECK(result.manifest->find_target("main")->reconnect_budget == 3000ms);
    REQUIRE(result.manifest->find_target("eu") != nullptr);
    CHECK(result.manifest->find_target("eu")->reconnect_budget == 1500ms);
  }

  TEST_CASE("an invalid reconnect_budget is reported")
  {
    CHECK(only_problem("version: 1\n"
                       "targets:\n"
                       "  main: {url: \"redis://h:1\", reconnect_budget: soon}\n"
                       "groups: []\n")
          == "3:48: targets.main.reconnect_budget: invalid duration \"soon\" (expected e.g. "
             "500ms, 90s, 30m, 2h, 1d)");
  }

  TEST_CASE("design manifest: sources of every kind")
  {
    const Manifest manifest = design_manifest();
    const auto* catalog = manifest.find_source("catalog");
    REQUIRE(catalog != nullptr);
    CHECK(catalog->kind == SourceKind::sqlite);
    CHECK(catalog->sqlite_path == "/etc/cw/data/catalog.db");
    const auto* orders = manifest.find_source("orders");
    REQUIRE(orders != nullptr);
    CHECK(orders->kind == SourceKind::postgres);
    CHECK(orders->postgres == "postgresql://app@db/orders");
    const auto* api = manifest.find_source("api");
    REQUIRE(api != nullptr);
    CHECK(api->kind == SourceKind::http);
    CHECK(api->http.base_url == "https://api.example.com");
    REQUIRE(api->http.headers.size() == 1);
    CHECK(api->http.headers[0].first == "Authorization");
    CHECK(api->http.headers[0].second == "Bearer tok");
    CHECK(api->http.timeout == 5s);
    CHECK(api->http.concurrency == 32);
    CHECK(api->http.rate.per_second == doctest::Approx(200.0));
    CHECK(api->http.retries == 3);
  }

  TEST_CASE("design manifest: schedules")
  {
    const Manifest manifest = design_manifest();
    const auto* business = manifest.find_schedule("business-hours");
    REQUIRE(business != nullptr);
    CHECK(business->peak == "09:00-18:00");
    CHECK(business->days == std::vector<std::string>{"mon", "tue", "wed", "thu", "fri"});
    CHECK(business->timezone == "America/New_York");
    CHECK(business->lead == 30min);
    const auto* black_friday = manifest.find_schedule("black-friday");
    REQUIRE(black_friday != nullptr);
    CHECK(black_friday->dates == std::vector<std::string>{"11-27", "11-28"});
    CHECK(black_friday->at == "05:30");
    CHECK(black_friday->timezone == "UTC");
    const auto* nightly = manifest.find_schedule("nightly");
    REQUIRE(nightly != nullptr);
    CHECK(nightly->cron == "0 3 * * *");
    CHECK(nightly->timezone == "Europe/Berlin");
  }

  TEST_CASE("design manifest: defaults")
  {
    const Manifest manifest = design_manifest();
    CHECK(manifest.defaults.target == "main");
    CHECK(manifest.defaults.ttl == 1h);
    CHECK(manifest.defaults.batch == 500);
    CHECK(manifest.defaults.concurrency == 4);
    CHECK(manifest.defaults.rate.per_second == doctest::Approx(50000.0));
    CHECK_FALSE(manifest.defaults.only_missing);
  }

  TEST_CASE("design manifest: a literal-key group with an http lookup")
  {
    const Manifest manifest = design_manifest();
    const GroupSpec* group = manifest.find_group("homepage");
    REQUIRE(group != nullptr);
    CHECK(group->priority == 100);
    CHECK(group->schedule == "business-hours");
    CHECK(group->keys == std::vector<std::string>{"page:home", "page:about"});
    REQUIRE(group->value.has_value());
    CHECK(group->value->kind == ValueKind::lookup_http);
    CHECK(group->value->source == "api");
    CHECK(group->value->get.text() == "/pages/{key}");
    CHECK(group->value->get.variables() == std::vector<std::string>{"key"});
    CHECK(group->targets.empty());
    CHECK(group->loc == Location{18, 5});
    CHECK(group->keys_loc == Location{21, 11});
  }

  TEST_CASE("design manifest: a query group with a column value, ttl and jitter")
  {
    const Manifest manifest = design_manifest();
    const GroupSpec* group = manifest.find_group("top-products");
    REQUIRE(group != nullptr);
    REQUIRE(group->query.has_value());
    CHECK(group->query->source == "catalog");
    CHECK(group->query->sql.rfind("SELECT id, name, price, payload FROM products", 0) == 0);
    REQUIRE(group->key.has_value());
    CHECK(group->key->text() == "product:{id}");
    CHECK(group->key->variables() == std::vector<std::string>{"id"});
    REQUIRE(group->value.has_value());
    CHECK(group->value->kind == ValueKind::column);
    CHECK(group->value->column == "payload");
    CHECK(group->ttl == std::optional<std::chrono::milliseconds>{2h});
    REQUIRE(group->ttl_jitter.has_value());
    CHECK(group->ttl_jitter->fraction == doctest::Approx(0.10));
    CHECK(group->priority == 0);
  }

  TEST_CASE("design manifest: a pattern group over a range and a list")
  {
    const Manifest manifest = design_manifest();
    const GroupSpec* group = manifest.find_group("product-pages");
    REQUIRE(group != nullptr);
    REQUIRE(group->pattern.has_value());
    CHECK(group->pattern->text() == "product:{id}:page:{lang}");
    CHECK(group->pattern->variables() == std::vector<std::string>{"id", "lang"});
    REQUIRE(group->with.size() == 2);
    CHECK(group->with[0].name == "id");
    REQUIRE(group->with[0].range.has_value());
    CHECK(group->with[0].range->first == 1);
    CHECK(group->with[0].range->last == 5000);
    CHECK(group->with[1].name == "lang");
    CHECK_FALSE(group->with[1].range.has_value());
    CHECK(group->with[1].values == std::vector<std::string>{"en", "de"});
    REQUIRE(group->value.has_value());
    CHECK(group->value->kind == ValueKind::lookup_http);
    CHECK(group->value->get.text() == "/products/{id}?lang={lang}");
    CHECK(group->value->json_pointer == "/data");
  }

  TEST_CASE("design manifest: a multi-target group with an sql lookup")
  {
    const Manifest manifest = design_manifest();
    const GroupSpec* group = manifest.find_group("after-deploy");
    REQUIRE(group != nullptr);
    CHECK(group->targets == std::vector<std::string>{"main", "eu"});
    CHECK(group->targets_loc == Location{35, 14});
    CHECK(group->only_missing == std::optional<bool>{true});
    REQUIRE(group->value.has_value());
    CHECK(group->value->kind == ValueKind::lookup_sql);
    CHECK(group->value->source == "catalog");
    CHECK(group->value->sql == "SELECT body FROM blobs WHERE name = ?");
    REQUIRE(group->value->params.size() == 1);
    CHECK(group->value->params[0].text() == "{key}");
    CHECK(group->value->params[0].variables() == std::vector<std::string>{"key"});
  }

  // --- Good inputs beyond the sketch --------------------------------------------------------

  TEST_CASE("a single target becomes the default target")
  {
    const LoadResult result = parse(k_minimal);
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->defaults.target == "main");
    CHECK(result.manifest->groups[0].value->kind == ValueKind::text);
    CHECK(result.manifest->groups[0].value->text.text() == "hello");
  }

  TEST_CASE("a default with ${VAR:-default} is used when the variable is unset")
  {
    const LoadResult result = parse(with_group("  - name: g\n"
                                               "    keys: [a]\n"
                                               "    batch: ${BATCH:-250}\n"
                                               "    value: {text: \"${GREETING:-hi} {key}\"}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->groups[0].batch == std::optional<std::size_t>{250});
    CHECK(result.manifest->groups[0].value->text.text() == "hi {key}");
  }

  TEST_CASE("a set environment variable is substituted and $${ stays literal")
  {
    const LoadResult result = parse(with_group("  - name: g\n"
                                               "    keys: [\"$${HOME}\", \"user:${USER_ID}\"]\n"
                                               "    value: {text: v}\n"),
                                    fake_env({{"USER_ID", "42"}}));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->groups[0].keys == std::vector<std::string>{"${HOME}", "user:42"});
  }

  TEST_CASE("an absolute sqlite path is kept as written")
  {
    const LoadResult result = parse("version: 1\n"
                                    "targets: {main: {url: \"redis://h:1\"}}\n"
                                    "sources: {db: {sqlite: /var/lib/x.db}}\n"
                                    "groups: []\n");
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->sources[0].sqlite_path == "/var/lib/x.db");
  }

  TEST_CASE("a text value may use pattern variables and {key}")
  {
    const LoadResult result =
        parse(with_group("  - name: g\n"
                         "    pattern: \"flag:{region}:{n}\"\n"
                         "    with: {region: [eu, us], n: \"001..003\"}\n"
                         "    value: {text: \"maintenance-{region}-{key}\"}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->groups[0].with[1].range->width == 3);
  }

  TEST_CASE("a hash value in a query group lists its columns")
  {
    const LoadResult result =
        parse(with_group("  - name: g\n"
                         "    query: {source: db, sql: \"SELECT id, a, b FROM t\"}\n"
                         "    key: \"item:{id}\"\n"
                         "    value: {hash: [a, b]}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->groups[0].value->kind == ValueKind::hash);
    CHECK(result.manifest->groups[0].value->hash_columns == std::vector<std::string>{"a", "b"});
  }

  TEST_CASE("rate auto and a throttle mapping parse for groups and defaults")
  {
    const LoadResult result =
        parse(std::string("version: 1\n"
                          "targets:\n"
                          "  main: {url: \"redis://127.0.0.1:6379\"}\n"
                          "defaults: {throttle: {max_memory: 75%}}\n"
                          "groups:\n"
                          "  - {name: a, keys: [k], value: {text: v}, rate: auto}\n"
                          "  - name: b\n"
                          "    keys: [k]\n"
                          "    value: {text: v}\n"
                          "    rate: 20000/s\n"
                          "    throttle: {max_latency: 2ms, max_memory: 80%, min_rate: 100/s}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    const Manifest& manifest = *result.manifest;
    REQUIRE(manifest.defaults.throttle.has_value());
    CHECK(manifest.defaults.throttle->max_memory == doctest::Approx(0.75));
    CHECK(manifest.defaults.throttle->max_latency == 5ms);
    REQUIRE(manifest.groups[0].rate.has_value());
    CHECK(manifest.groups[0].rate->adaptive);
    CHECK_FALSE(manifest.groups[0].throttle.has_value());
    REQUIRE(manifest.groups[1].throttle.has_value());
    CHECK(manifest.groups[1].throttle->max_latency == 2ms);
    CHECK(manifest.groups[1].throttle->max_memory == doctest::Approx(0.8));
    CHECK(manifest.groups[1].throttle->min_rate.per_second == doctest::Approx(100.0));
    CHECK(manifest.groups[1].throttle->loc == Location{11, 15});
    CHECK(manifest.groups[1].rate->per_second == doctest::Approx(20000.0));
  }

  // --- Bad inputs: one problem each, down to line, column and text -------------------------

  TEST_CASE("an unknown group field suggests the close spelling")
  {
    CHECK(
        only_problem(with_group("  - name: x\n"
                                "    keys: [a]\n"
                                "    tll: 1h\n"
                                "    value: {text: v}\n"))
        == "10:5: unknown field \"tll\" in group \"x\" (expected one of: name, priority, "
           "schedule, keys, pattern, with, query, keys_from, key, value, ttl, ttl_jitter, target, "
           "targets, targets_by_segment, only_missing, batch, concurrency, rate, throttle); did "
           "you "
           "mean \"ttl\"?");
  }

  TEST_CASE("bad throttle settings are located and explained")
  {
    CHECK(only_problem(with_group("  - {name: x, keys: [a], value: {text: v}, throttle: 5ms}\n"))
          == "8:54: groups[1] (\"x\").throttle: expected a mapping like {max_latency: 5ms}, "
             "got \"5ms\"");
    CHECK(
        only_problem(with_group("  - name: x\n"
                                "    keys: [a]\n"
                                "    value: {text: v}\n"
                                "    throttle: {max_latency: 0ms}\n"))
        == "11:29: groups[1] (\"x\").throttle.max_latency: expected a positive duration like 5ms");
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {text: v}\n"
                                  "    throttle: {max_memory: 0.9}\n"))
          == "11:28: groups[1] (\"x\").throttle.max_memory: expected a percentage of maxmemory "
             "like 90%, "
             "got \"0.9\"");
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {text: v}\n"
                                  "    throttle: {min_rate: auto}\n"))
          == "11:26: groups[1] (\"x\").throttle.min_rate: expected a rate like 500/s");
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {text: v}\n"
                                  "    throttle: {max_latncy: 5ms}\n"))
          == "11:16: unknown field \"max_latncy\" in groups[1] (\"x\").throttle (expected one of: "
             "max_latency, max_memory, min_rate); did you mean \"max_latency\"?");
  }

  TEST_CASE("an http source cannot have rate auto")
  {
    CHECK(only_problem("version: 1\n"
                       "targets:\n"
                       "  main: {url: \"redis://127.0.0.1:6379\"}\n"
                       "sources:\n"
                       "  api: {http: {base_url: \"http://127.0.0.1:1\", rate: auto}}\n"
                       "groups:\n"
                       "  - {name: x, keys: [a], value: {source: api, get: \"/{key}\"}}\n")
          == "5:54: sources.api.http.rate: auto is for groups writing to Redis (expected e.g. "
             "200/s or unlimited)");
  }

  TEST_CASE("an unknown field without a close spelling gets no suggestion")
  {
    CHECK(only_problem("version: 1\n"
                       "targets:\n"
                       "  main: {url: \"redis://h:1\", password: x}\n"
                       "groups: []\n")
          == "3:30: unknown field \"password\" in target \"main\" (expected one of: url, cluster, "
             "connect_timeout, timeout, reconnect_budget, tls, sentinel, replicas_ack, "
             "replicas_ack_timeout)");
  }

  TEST_CASE("an unknown top-level field is reported at its key")
  {
    CHECK(only_problem(std::string(k_minimal) + "defualts: {ttl: 1h}\n")
          == "8:1: unknown field \"defualts\" at the top level (expected one of: version, targets, "
             "sources, schedules, defaults, groups); did you mean \"defaults\"?");
  }

  TEST_CASE("a wrong type names the path, the expectation and the value")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    batch: abc\n"
                                  "    value: {text: v}\n"))
          == "10:12: groups[1] (\"x\").batch: expected a positive integer, got \"abc\"");
  }

  TEST_CASE("a list where a scalar belongs is a type error")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    ttl: [1h]\n"
                                  "    value: {text: v}\n"))
          == "10:10: groups[1] (\"x\").ttl: expected a duration, got a list");
  }

  TEST_CASE("an invalid duration in the second group names it")
  {
    CHECK(only_problem(with_group("  - name: first\n"
                                  "    keys: [a]\n"
                                  "    value: {text: v}\n"
                                  "  - name: top-products\n"
                                  "    keys: [b]\n"
                                  "    ttl: 2x\n"
                                  "    value: {text: v}\n"))
          == "13:10: groups[2] (\"top-products\").ttl: invalid duration \"2x\" (expected e.g. "
             "500ms, 90s, 30m, 2h, 1d)");
  }

  TEST_CASE("batch and concurrency have upper bounds")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    concurrency: 5000\n"
                                  "    value: {text: v}\n"))
          == "10:18: groups[1] (\"x\").concurrency: 5000 is too large (at most 1024)");
  }

  TEST_CASE("a zero batch is not a positive integer")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    batch: 0\n"
                                  "    value: {text: v}\n"))
          == "10:12: groups[1] (\"x\").batch: expected a positive integer, got \"0\"");
  }

  TEST_CASE("an undefined target is reported with the defined ones")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    target: eu\n"
                                  "    value: {text: v}\n"))
          == "10:13: group \"x\": unknown target \"eu\" (defined: main)");
  }

  TEST_CASE("an undefined schedule with none defined says so")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    schedule: nightly\n"
                                  "    keys: [a]\n"
                                  "    value: {text: v}\n"))
          == "9:15: group \"x\": unknown schedule \"nightly\" (none defined)");
  }

  TEST_CASE("an undefined value source is reported")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {source: cms, get: \"/{key}\"}\n"))
          == "10:21: group \"x\": unknown source \"cms\" (defined: db, api)");
  }

  TEST_CASE("an sql lookup against an http source is rejected")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {source: api, sql: \"SELECT v FROM t WHERE k = ?\", "
                                  "params: [\"{key}\"]}\n"))
          == "10:21: group \"x\": source \"api\" is a http source; \"sql\" needs a sqlite or "
             "postgres source");
  }

  TEST_CASE("defaults.target must name a target")
  {
    CHECK(only_problem(std::string(k_minimal) + "defaults: {target: eu}\n")
          == "8:20: defaults: unknown target \"eu\" (defined: main)");
  }

  TEST_CASE("with several targets a group needs a target or defaults.target")
  {
    CHECK(only_problem("version: 1\n"
                       "targets:\n"
                       "  main: {url: \"redis://a:1\"}\n"
                       "  eu: {url: \"redis://b:1\"}\n"
                       "groups:\n"
                       "  - name: x\n"
                       "    keys: [a]\n"
                       "    value: {text: v}\n")
          == "6:5: group \"x\": no target given and several are defined (main, eu); set \"target\" "
             "in the group or \"defaults.target\"");
  }

  TEST_CASE("two key sources are rejected at the second")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    query: {source: db, sql: \"SELECT id FROM t\"}\n"
                                  "    key: \"k:{id}\"\n"
                                  "    value: {text: v}\n"))
          == "10:5: groups[1] (\"x\"): \"query\" cannot be combined with \"keys\" (a group has "
             "exactly one key source: keys, pattern, query or keys_from)");
  }

  TEST_CASE("a group without a key source is rejected")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    value: {text: v}\n"))
          == "8:5: groups[1] (\"x\"): missing a key source (one of keys, pattern, query or "
             "keys_from)");
  }

  TEST_CASE("with without pattern and key without query or keys_from are errors")
  {
    CHECK(all_problems(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    with: {n: \"1..2\"}\n"
                                  "    key: \"k:{n}\"\n"
                                  "    value: {text: v}\n"))
          == std::vector<std::string>{
              "10:5: groups[1] (\"x\"): \"with\" is only allowed with \"pattern\"",
              "11:5: groups[1] (\"x\"): \"key\" is only allowed with \"query\" or "
              "\"keys_from\""});
  }

  TEST_CASE("a query group needs a key template")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    query: {source: db, sql: \"SELECT id FROM t\"}\n"
                                  "    value: {column: id}\n"))
          == "9:5: groups[1] (\"x\"): \"query\" requires \"key\"");
  }

  TEST_CASE("an unset environment variable is reported at its scalar")
  {
    CHECK(only_problem("version: 1\n"
                       "targets:\n"
                       "  main: {url: \"redis://default:${REDIS_PASSWORD}@127.0.0.1:6379/0\"}\n"
                       "groups: []\n")
          == "3:15: targets.main.url: environment variable \"REDIS_PASSWORD\" is not set");
  }

  TEST_CASE("an unterminated ${ is reported")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [\"a${HOME\"]\n"
                                  "    value: {text: v}\n"))
          == "9:12: groups[1] (\"x\").keys[1]: unterminated \"${\" (expected ${NAME} or "
             "${NAME:-default})");
  }

  TEST_CASE("a yaml syntax error is one diagnostic at yaml-cpp's mark")
  {
    CHECK(only_problem("key: [1, 2\nother: }") == "2:6: end of sequence flow not found");
  }

  TEST_CASE("a yaml syntax error stops before any other check")
  {
    CHECK(only_problem("version: 2\ngroups: [\n  - {name: x}\n") == "3:3: illegal block entry");
  }

  TEST_CASE("duplicate group names are rejected at the second")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {text: v}\n"
                                  "  - name: x\n"
                                  "    keys: [b]\n"
                                  "    value: {text: v}\n"))
          == "11:11: groups[2].name: duplicate group name \"x\" (first defined at line 8)");
  }

  TEST_CASE("a duplicate field in one mapping is rejected")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    ttl: 1h\n"
                                  "    ttl: 2h\n"
                                  "    value: {text: v}\n"))
          == "11:5: duplicate field \"ttl\" in group \"x\"");
  }

  TEST_CASE("a column value outside a query group is rejected")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {column: payload}\n"))
          == "10:13: groups[1] (\"x\").value: \"column\" is only allowed in a group with a "
             "\"query\"");
  }

  TEST_CASE("a pattern variable missing from with is rejected")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    pattern: \"p:{id}:{lang}\"\n"
                                  "    with: {id: \"1..3\"}\n"
                                  "    value: {text: v}\n"))
          == "9:14: groups[1] (\"x\").pattern: variable {lang} is not defined in \"with\" "
             "(defined: id)");
  }

  TEST_CASE("an unused with variable is rejected")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    pattern: \"p:{id}\"\n"
                                  "    with: {id: \"1..3\", lang: [en, de]}\n"
                                  "    value: {text: v}\n"))
          == "10:24: groups[1] (\"x\").with.lang: variable \"lang\" is not used in the pattern");
  }

  TEST_CASE("a value template may not use variables the group does not define")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {source: api, get: \"/items/{id}\"}\n"))
          == "10:31: groups[1] (\"x\").value.get: unknown variable {id} (available: key)");
  }

  TEST_CASE("a template syntax error is reported with its column in the template")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    pattern: \"p:{id\"\n"
                                  "    with: {id: \"1..3\"}\n"
                                  "    value: {text: v}\n"))
          == "9:14: groups[1] (\"x\").pattern: unclosed '{' at column 3");
  }

  TEST_CASE("an invalid variable name is quoted like other values, control characters escaped")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {text: \"v:{a\\tb}\"}\n"))
          == "10:19: groups[1] (\"x\").value.text: invalid variable name \"a\\tb\" at column 3");
  }

  TEST_CASE("query group value templates are not checked against columns")
  {
    const LoadResult result =
        parse(with_group("  - name: x\n"
                         "    query: {source: db, sql: \"SELECT id FROM t\"}\n"
                         "    key: \"k:{id}\"\n"
                         "    value: {text: \"{anything}\"}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    CHECK(result.manifest.has_value());
  }

  TEST_CASE("a value with two kinds is rejected")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {text: v, get: /x, source: api}\n"))
          == "10:22: groups[1] (\"x\").value: \"text\" and \"get\" cannot be combined");
  }

  TEST_CASE("a missing value is rejected")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"))
          == "8:5: groups[1] (\"x\"): missing required field \"value\"");
  }

  TEST_CASE("a bad group name is rejected")
  {
    CHECK(only_problem(with_group("  - name: \"a b\"\n"
                                  "    keys: [a]\n"
                                  "    value: {text: v}\n"))
          == "8:11: groups[1].name: invalid group name \"a b\" (use letters, digits, '_', '.' and "
             "'-')");
  }

  TEST_CASE("a schedule needs exactly one of peak, dates or cron")
  {
    CHECK(only_problem(std::string(k_minimal)
                       + "schedules:\n"
                         "  s: {peak: \"09:00-18:00\", cron: \"0 3 * * *\"}\n")
          == "9:28: schedules.s: only one of peak, dates or cron may be given (found \"peak\" and "
             "\"cron\")");
  }

  TEST_CASE("schedule formats are checked")
  {
    CHECK(all_problems(std::string(k_minimal)
                       + "schedules:\n"
                         "  a: {peak: \"9-18\", days: [mon, funday]}\n"
                         "  b: {dates: [\"02-30\"], at: \"25:00\"}\n"
                         "  c: {cron: \"0 3 * *\", at: \"05:00\"}\n")
          == std::vector<std::string>{
              "9:13: schedules.a.peak: invalid time window \"9-18\" (expected HH:MM-HH:MM)",
              "9:33: schedules.a.days[2]: invalid day \"funday\" (expected mon, tue, wed, thu, "
              "fri, sat or sun)",
              "10:15: schedules.b.dates[1]: invalid date \"02-30\" (expected MM-DD, e.g. 11-27)",
              "10:29: schedules.b.at: invalid time \"25:00\" (expected HH:MM)",
              "11:13: schedules.c.cron: expected 5 fields (minute hour day-of-month month "
              "day-of-week), got 4",
              "11:24: schedules.c: \"at\" is only allowed with \"dates\""});
  }

  TEST_CASE("version must be 1")
  {
    CHECK(only_problem("version: 2\n"
                       "targets: {main: {url: \"redis://h:1\"}}\n"
                       "groups: []\n")
          == "1:10: version: unsupported manifest version 2 (expected 1)");
  }

  TEST_CASE("an unsupported target scheme is reported without echoing the url")
  {
    CHECK(only_problem("version: 1\n"
                       "targets: {main: {url: \"http://user:pw@h:1\"}}\n"
                       "groups: []\n")
          == "2:23: targets.main.url: unsupported scheme \"http\" (expected redis://, rediss://, "
             "redis+sentinel://, rediss+sentinel://, redis+cluster://, rediss+cluster:// or "
             "unix://)");
  }

  TEST_CASE("a TLS target reads its tls block; relative files resolve against the manifest")
  {
    char dir_template[] = "/tmp/cw-unit-tls.XXXXXX";
    REQUIRE(mkdtemp(dir_template) != nullptr);
    const std::string dir = dir_template;
    for (const char* name : {"/ca.pem", "/client.pem", "/client.key"}) {
      std::ofstream(dir + name) << "pem\n";
    }
    const LoadResult result = cachewarm::manifest::parse_manifest(
        "version: 1\n"
        "targets:\n"
        "  main:\n"
        "    url: \"rediss://h:6380\"\n"
        "    tls: {ca_file: ca.pem, cert_file: client.pem, key_file: client.key,\n"
        "          server_name: redis.internal, verify: false, min_version: \"1.3\",\n"
        "          ciphers: HIGH}\n"
        "    replicas_ack: 2\n"
        "    replicas_ack_timeout: 750ms\n"
        "groups: []\n",
        "m.yaml",
        dir,
        fake_env({}));
    for (const char* name : {"/ca.pem", "/client.pem", "/client.key"}) {
      std::remove((dir + name).c_str());
    }
    rmdir(dir.c_str());
    REQUIRE(result.diagnostics.empty());
    REQUIRE(result.manifest.has_value());
    const auto* main = result.manifest->find_target("main");
    REQUIRE(main != nullptr);
    REQUIRE(main->tls.has_value());
    CHECK(main->tls->ca_file == dir + "/ca.pem");
    CHECK(main->tls->cert_file == dir + "/client.pem");
    CHECK(main->tls->key_file == dir + "/client.key");
    CHECK(main->tls->ca_path.empty());
    CHECK(main->tls->server_name == "redis.internal");
    CHECK_FALSE(main->tls->verify);
    CHECK(main->tls->min_version == "1.3");
    CHECK(main->tls->ciphers == "HIGH");
    CHECK(main->replicas_ack == 2);
    CHECK(main->replicas_ack_timeout == 750ms);
    CHECK_FALSE(main->sentinel.has_value());
  }

  TEST_CASE("rediss:// without a tls block verifies with the defaults")
  {
    const LoadResult result = parse("version: 1\n"
                                    "targets: {main: {url: \"rediss://h:6380\"}}\n"
                                    "groups: []\n");
    REQUIRE(result.manifest.has_value());
    CHECK_FALSE(result.manifest->find_target("main")->tls.has_value());
    CHECK(result.manifest->find_target("main")->replicas_ack == 0);
    CHECK(result.manifest->find_target("main")->replicas_ack_timeout == 5000ms);
  }

  TEST_CASE("tls files must exist; unknown tls fields and a lone cert_file are errors")
  {
    const std::vector<std::string> problems =
        all_problems("version: 1\n"
                     "targets:\n"
                     "  main:\n"
                     "    url: \"rediss://h:6380\"\n"
                     "    tls: {ca_file: missing.pem, cert_file: /nonexistent/c.pem, verfy: no}\n"
                     "groups: []\n");
    REQUIRE(problems.size() == 4);
    CHECK(problems[0]
          == "5:20: targets.main.tls.ca_file: /etc/cw/missing.pem: No such file or directory");
    CHECK(problems[1]
          == "5:33: targets.main.tls: cert_file and key_file go together (the client "
             "certificate and its private key)");
    CHECK(problems[2]
          == "5:44: targets.main.tls.cert_file: /nonexistent/c.pem: No such file or directory");
    CHECK(problems[3].starts_with("5:64: unknown field \"verfy\" in targets.main.tls"));
  }

  TEST_CASE("a tls block needs a rediss URL, a sentinel block a sentinel URL")
  {
    const std::vector<std::string> problems =
        all_problems("version: 1\n"
                     "targets:\n"
                     "  main: {url: \"redis://h:1\", tls: {verify: false}, sentinel: {}}\n"
                     "groups: []\n");
    REQUIRE(problems.size() == 2);
    CHECK(problems[0]
          == "3:30: targets.main.tls: TLS settings need a rediss:// (or rediss+sentinel://, "
             "rediss+cluster://) URL");
    CHECK(problems[1]
          == "3:52: targets.main.sentinel: sentinel settings need a redis+sentinel:// URL");
  }

  TEST_CASE("a sentinel target reads its sentinel block")
  {
    const LoadResult result =
        parse("version: 1\n"
              "targets:\n"
              "  ha:\n"
              "    url: \"redis+sentinel://10.0.0.1,10.0.0.2/mymaster\"\n"
              "    sentinel: {username: watcher, password: \"${SENTINEL_PW}\"}\n"
              "groups: []\n",
              fake_env({{"SENTINEL_PW", "s3cret"}}));
    REQUIRE(result.diagnostics.empty());
    const auto* ha = result.manifest->find_target("ha");
    REQUIRE(ha != nullptr);
    REQUIRE(ha->sentinel.has_value());
    CHECK(ha->sentinel->username == "watcher");
    CHECK(ha->sentinel->password == "s3cret");
    CHECK_FALSE(ha->sentinel->tls.has_value());
  }

  TEST_CASE("replicas_ack is a small count and its timeout a positive duration")
  {
    CHECK(only_problem("version: 1\n"
                       "targets: {main: {url: \"redis://h:1\", replicas_ack: -1}}\n"
                       "groups: []\n")
          == "2:52: targets.main.replicas_ack: expected a non-negative integer, got \"-1\"");
    CHECK(only_problem("version: 1\n"
                       "targets: {main: {url: \"redis://h:1\", replicas_ack_timeout: 0s}}\n"
                       "groups: []\n")
          == "2:60: targets.main.replicas_ack_timeout: expected a positive duration (0 would "
             "make WAIT block forever)");
  }

  TEST_CASE("a source needs exactly one kind")
  {
    CHECK(only_problem("version: 1\n"
                       "targets: {main: {url: \"redis://h:1\"}}\n"
                       "sources: {s: {sqlite: a.db, postgres: \"dbname=x\"}}\n"
                       "groups: []\n")
          == "3:29: sources.s: only one of sqlite, postgres or http may be given (found \"sqlite\" "
             "and \"postgres\")");
  }

  TEST_CASE("an empty file is one diagnostic")
  {
    CHECK(only_problem("")
          == "1:1: manifest is empty (expected a mapping with version, targets "
             "and groups)");
    CHECK(only_problem("# just a comment\n")
          == "1:1: manifest is empty (expected a mapping with version, targets and groups)");
  }

  TEST_CASE("a top level that is not a mapping is one diagnostic")
  {
    CHECK(only_problem("- a\n- b\n")
          == "1:1: expected a mapping with version, targets and groups at the top level, got a "
             "list");
  }

  TEST_CASE("missing required top-level fields are each reported")
  {
    CHECK(all_problems("version: 1\n")
          == std::vector<std::string>{"1:1: missing required field \"targets\" at the top level",
                                      "1:1: missing required field \"groups\" at the top level"});
  }

  TEST_CASE("every problem is collected, in file order")
  {
    CHECK(all_problems("version: 1\n"
                       "targets:\n"
                       "  main: {url: \"redis://h:1\", timout: 5s}\n"
                       "groups:\n"
                       "  - name: a\n"
                       "    keys: [k]\n"
                       "    batch: lots\n"
                       "    value: {text: v}\n"
                       "  - name: b\n"
                       "    keys: [k]\n"
                       "    target: eu\n"
                       "    value: {column: c}\n")
          == std::vector<std::string>{
              "3:30: unknown field \"timout\" in target \"main\" (expected one of: url, cluster, "
              "connect_timeout, timeout, reconnect_budget, tls, sentinel, replicas_ack, "
              "replicas_ack_timeout); did you mean \"timeout\"?",
              "7:12: groups[1] (\"a\").batch: expected a positive integer, got \"lots\"",
              "11:13: group \"b\": unknown target \"eu\" (defined: main)",
              "12:13: groups[2] (\"b\").value: \"column\" is only allowed in a group with a "
              "\"query\""});
  }

  // --- HTTP transfer limits ---------------------------------------------------------------

  TEST_CASE("an http source has default connect_timeout and max_body")
  {
    const Manifest manifest = design_manifest();
    const auto* api = manifest.find_source("api");
    REQUIRE(api != nullptr);
    CHECK(api->http.connect_timeout == 2000ms);
    CHECK(api->http.max_body == 8 * 1024 * 1024);
  }

  TEST_CASE("an http source takes connect_timeout and max_body")
  {
    const LoadResult result = parse(with_http_fields("connect_timeout: 750ms, max_body: 512KiB"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    const auto& http = result.manifest->sources[0].http;
    CHECK(http.connect_timeout == 750ms);
    CHECK(http.max_body == 512 * 1024);
    CHECK(http.timeout == 5000ms);
  }

  TEST_CASE("max_body accepts plain bytes and decimal units")
  {
    CHECK(parse(with_http_fields("max_body: 65536")).manifest->sources[0].http.max_body == 65536);
    CHECK(parse(with_http_fields("max_body: 10MB")).manifest->sources[0].http.max_body == 10000000);
    CHECK(parse(with_http_fields("max_body: 1")).manifest->sources[0].http.max_body == 1);
  }

  TEST_CASE("an invalid max_body is reported with the size formats")
  {
    CHECK(only_problem(with_http_fields("max_body: 8mb"))
          == "6:57: sources.api.http.max_body: invalid size \"8mb\" (expected e.g. 65536, 512KiB "
             "or 8MiB)");
  }

  TEST_CASE("a zero max_body is rejected")
  {
    CHECK(only_problem(with_http_fields("max_body: 0KiB"))
          == "6:57: sources.api.http.max_body: expected a positive size, got \"0KiB\"");
  }

  TEST_CASE("max_body must be a scalar")
  {
    CHECK(only_problem(with_http_fields("max_body: [1]"))
          == "6:57: sources.api.http.max_body: expected a size, got a list");
  }

  TEST_CASE("an invalid connect_timeout is reported")
  {
    CHECK(only_problem(with_http_fields("connect_timeout: fast"))
          == "6:64: sources.api.http.connect_timeout: invalid duration \"fast\" (expected e.g. "
             "500ms, 90s, 30m, 2h, 1d)");
  }

  TEST_CASE("a misspelt http field suggests max_body")
  {
    CHECK(only_problem(with_http_fields("max_bdoy: 1MiB"))
          == "6:47: unknown field \"max_bdoy\" in http source \"api\" (expected one of: base_url, "
             "headers, timeout, connect_timeout, concurrency, rate, retries, max_body); did you "
             "mean \"max_body\"?");
  }

  // --- Set, list and zset values ----------------------------------------------------------

  TEST_CASE("a set value in a query group names its member column")
  {
    const LoadResult result =
        parse(with_group("  - name: g\n"
                         "    query: {source: db, sql: \"SELECT u, t FROM x\"}\n"
                         "    key: \"tags:{u}\"\n"
                         "    value: {set: t}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->groups[0].value->kind == ValueKind::set);
    CHECK(result.manifest->groups[0].value->member == "t");
  }

  TEST_CASE("a list value in a query group names its member column")
  {
    const LoadResult result =
        parse(with_group("  - name: g\n"
                         "    query: {source: db, sql: \"SELECT u, e FROM x\"}\n"
                         "    key: \"feed:{u}\"\n"
                         "    value: {list: e}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->groups[0].value->kind == ValueKind::list);
    CHECK(result.manifest->groups[0].value->member == "e");
  }

  TEST_CASE("a zset value in a query group names its member and score columns")
  {
    const LoadResult result =
        parse(with_group("  - name: g\n"
                         "    query: {source: db, sql: \"SELECT b, p, s FROM x\"}\n"
                         "    key: \"board:{b}\"\n"
                         "    value: {zset: {member: p, score: s}}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->groups[0].value->kind == ValueKind::zset);
    CHECK(result.manifest->groups[0].value->member == "p");
    CHECK(result.manifest->groups[0].value->score == "s");
  }

  TEST_CASE("set, list and zset values need a query group")
  {
    CHECK(all_problems(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {set: t}\n"
                                  "  - name: y\n"
                                  "    pattern: \"p:{n}\"\n"
                                  "    with: {n: \"1..2\"}\n"
                                  "    value: {list: e}\n"
                                  "  - name: z\n"
                                  "    keys_from: {file: keys.txt}\n"
                                  "    value: {zset: {member: p, score: s}}\n"))
          == std::vector<std::string>{
              "10:13: groups[1] (\"x\").value: \"set\" is only allowed in a group with a "
              "\"query\"",
              "14:13: groups[2] (\"y\").value: \"list\" is only allowed in a group with a "
              "\"query\"",
              "17:13: groups[3] (\"z\").value: \"zset\" is only allowed in a group with a "
              "\"query\""});
  }

  TEST_CASE("a zset value needs both member and score")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    query: {source: db, sql: \"SELECT b, p FROM x\"}\n"
                                  "    key: \"board:{b}\"\n"
                                  "    value: {zset: {member: p}}\n"))
          == "11:19: groups[1] (\"x\").value.zset: missing required field \"score\"");
  }

  TEST_CASE("an unknown zset field suggests the close spelling")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    query: {source: db, sql: \"SELECT b, p, s FROM x\"}\n"
                                  "    key: \"board:{b}\"\n"
                                  "    value: {zset: {member: p, score: s, scroe: s}}\n"))
          == "11:41: unknown field \"scroe\" in the zset of group \"x\" (expected one of: member, "
             "score); did you mean \"score\"?");
  }

  TEST_CASE("a zset value must be a mapping")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    query: {source: db, sql: \"SELECT b, p FROM x\"}\n"
                                  "    key: \"board:{b}\"\n"
                                  "    value: {zset: p}\n"))
          == "11:19: groups[1] (\"x\").value.zset: expected a mapping like {member: C, score: D}, "
             "got \"p\"");
  }

  TEST_CASE("a set member column must be a non-empty string")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    query: {source: db, sql: \"SELECT u FROM x\"}\n"
                                  "    key: \"tags:{u}\"\n"
                                  "    value: {set: \"\"}\n"))
          == "11:18: groups[1] (\"x\").value.set: expected a non-empty string");
  }

  TEST_CASE("a set value cannot be combined with another kind")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    query: {source: db, sql: \"SELECT u, t FROM x\"}\n"
                                  "    key: \"tags:{u}\"\n"
                                  "    value: {column: t, set: t}\n"))
          == "11:24: groups[1] (\"x\").value: \"column\" and \"set\" cannot be combined");
  }

  TEST_CASE("a value without a kind lists every shape")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {params: [a]}\n"))
          == "10:12: groups[1] (\"x\").value: expected one of {column: C}, {hash: [C...]}, "
             "{set: C}, {list: C}, {zset: {member: C, score: D}}, {source, sql, params}, "
             "{source, get, json_pointer, hash_from_json}, {text: T} or {restore: snapshot}");
  }

  // --- hash_from_json and json_pointer ----------------------------------------------------

  TEST_CASE("hash_from_json is read with get")
  {
    const LoadResult result =
        parse(with_group("  - name: g\n"
                         "    keys: [a]\n"
                         "    value: {source: api, get: \"/u/{key}\", json_pointer: /data, "
                         "hash_from_json: true}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    const auto& value = *result.manifest->groups[0].value;
    CHECK(value.kind == ValueKind::lookup_http);
    CHECK(value.hash_from_json);
    CHECK(value.json_pointer == "/data");
  }

  TEST_CASE("hash_from_json defaults to false")
  {
    const Manifest manifest = design_manifest();
    const GroupSpec* group = manifest.find_group("homepage");
    REQUIRE(group != nullptr);
    CHECK_FALSE(group->value->hash_from_json);
  }

  TEST_CASE("hash_from_json must be a boolean")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {source: api, get: /u, hash_from_json: yes}\n"))
          == "10:51: groups[1] (\"x\").value.hash_from_json: expected true or false, got \"yes\"");
  }

  TEST_CASE("hash_from_json needs get")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {text: v, hash_from_json: true}\n"))
          == "10:22: groups[1] (\"x\").value: \"hash_from_json\" needs \"get\"");
  }

  TEST_CASE("hash_from_json alone needs get")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {hash_from_json: true}\n"))
          == "10:13: groups[1] (\"x\").value: \"hash_from_json\" needs \"get\"");
  }

  TEST_CASE("json_pointer with an sql lookup needs get")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    value: {source: db, sql: \"SELECT 1\", json_pointer: /a}\n"))
          == "10:42: groups[1] (\"x\").value: \"json_pointer\" needs \"get\"");
  }

  // --- keys_from --------------------------------------------------------------------------

  TEST_CASE("keys_from an access log: every setting read, paths resolved")
  {
    const LoadResult result = parse(
        with_group("  - name: g\n"
                   "    keys_from:\n"
                   "      access_log:\n"
                   "        files: [logs/a.log, /var/log/b.log.gz]\n"
                   "        format: tsv\n"
                   "        header: true\n"
                   "        time_field: ts\n"
                   "        time_unit: ms\n"
                   "        rules: [{match: '^/p/(?<id>\\d+)', key: 'p:{id}', field: '{url}'}]\n"
                   "        client: '{ip}'\n"
                   "        status: 2xx,3xx\n"
                   "        methods: [GET]\n"
                   "        path: '^/p/'\n"
                   "        window: 10m\n"
                   "        capacity: 5000\n"
                   "      cover: 0.9\n"
                   "      max_keys: 300\n"
                   "    value: {text: v}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    const GroupSpec& group = result.manifest->groups[0];
    REQUIRE(group.keys_from.has_value());
    REQUIRE(group.keys_from->access_log.has_value());
    const cachewarm::manifest::AccessLogSpec& log = *group.keys_from->access_log;
    CHECK(log.files == std::vector<std::string>{"/etc/cw/logs/a.log", "/var/log/b.log.gz"});
    CHECK(log.format == "tsv");
    CHECK(log.header);
    CHECK(log.time_field == "ts");
    CHECK(log.time_unit == "ms");
    REQUIRE(log.rules.size() == 1);
    CHECK(log.rules[0].match == "^/p/(?<id>\\d+)");
    CHECK(log.rules[0].key == "p:{id}");
    CHECK(log.rules[0].field == "{url}");
    CHECK(log.client == "{ip}");
    CHECK(log.status_classes == std::vector<int>{2, 3});
    CHECK(log.methods == std::vector<std::string>{"GET"});
    CHECK(log.path == "^/p/");
    CHECK(log.window == std::chrono::minutes(10));
    CHECK(log.capacity == 5000);
    CHECK(log.cover == std::optional<double>(0.9));
    CHECK(log.max_keys == 300);
    CHECK(group.keys_from->file.empty());
  }

  TEST_CASE("targets_by_segment: one group per segment, each to its target and its segment")
  {
    const std::string text =
        "version: 1\n"
        "targets:\n"
        "  main: {url: \"redis://127.0.0.1:6379\"}\n"
        "  eu: {url: \"redis://127.0.0.1:6380\"}\n"
        "groups:\n"
        "  - name: first\n"
        "    keys: [a]\n"
        "    value: {text: v}\n"
        "    target: main\n"
        "  - name: hot\n"
        "    keys_from:\n"
        "      access_log:\n"
        "        file: a.log\n"
        "        by: '{host}'\n"
        "        prefixes: {eu: [10.1.0.0/16, '2001:db8::/32'], us: [10.2.0.0/16]}\n"
        "    value: {text: v}\n"
        "    targets_by_segment: {eu: eu, us: main}\n";
    const LoadResult result = parse(text);
    REQUIRE(result.diagnostics.empty());
    const auto& groups = result.manifest->groups;
    REQUIRE(groups.size() == 3);
    CHECK(groups[0].name == "first");
    CHECK(groups[1].name == "hot.eu");
    CHECK(groups[1].family == "hot");
    CHECK(groups[1].targets == std::vector<std::string>{"eu"});
    CHECK(groups[1].targets_by_segment.empty());
    const cachewarm::manifest::AccessLogSpec& log = *groups[1].keys_from->access_log;
    CHECK(log.segment == "eu");
    CHECK(log.by == "{host}");
    CHECK(log.prefixes
          == std::vector<std::pair<std::string, std::string>>{
              {"10.1.0.0/16", "eu"}, {"2001:db8::/32", "eu"}, {"10.2.0.0/16", "us"}});
    CHECK(groups[2].name == "hot.us");
    CHECK(groups[2].targets == std::vector<std::string>{"main"});
    CHECK(groups[2].keys_from->access_log->segment == "us");
  }

  TEST_CASE("targets_by_segment and by: what they need and refuse")
  {
    CHECK(
        all_problems(with_group("  - name: g\n"
                                "    keys_from: {access_log: {file: a.log, by: '{host}'}}\n"
                                "    value: {text: v}\n"
                                "  - name: h\n"
                                "    keys: [a]\n"
                                "    value: {text: v}\n"
                                "    target: main\n"
                                "    targets_by_segment: {e/u: main, us: nope}\n"
                                "  - name: i\n"
                                "    keys_from: {access_log: {file: a.log, prefixes: {eu: [x]}}}\n"
                                "    value: {text: v}\n"))
        == std::vector<std::string>{
            "9:29: groups[1] (\"g\").keys_from.access_log: \"by\" needs \"targets_by_segment\" "
            "in the group (which segment goes to which target)",
            "15:5: groups[2] (\"h\"): \"targets_by_segment\" cannot be combined with "
            "\"target\"",
            "15:5: groups[2] (\"h\"): \"targets_by_segment\" needs keys_from: {access_log: "
            "{..., by: TEMPLATE}} (the segments of the log)",
            "15:26: groups[2] (\"h\").targets_by_segment: invalid segment name \"e/u\" (use "
            "letters, digits, '_', '.' and '-': it names a group)",
            "15:41: group \"h\": unknown target \"nope\" (defined: main)",
            "17:43: groups[3] (\"i\").keys_from.access_log: \"prefixes\" needs \"by\" (the "
            "client address)"});
    CHECK(only_problem(with_group("  - name: g.eu\n"
                                  "    keys: [a]\n"
                                  "    value: {text: v}\n"
                                  "  - name: g\n"
                                  "    keys_from: {access_log: {file: a.log, by: '{host}'}}\n"
                                  "    value: {text: v}\n"
                                  "    targets_by_segment: {eu: main}\n"))
          == "11:5: group \"g\": its segment \"eu\" would be the group \"g.eu\", a name another "
             "group has");
  }

  TEST_CASE("keys_from an access log: defaults, and what it refuses")
  {
    const LoadResult result = parse(with_group("  - name: g\n"
                                               "    keys_from: {access_log: {file: a.log}}\n"
                                               "    value: {text: v}\n"));
    REQUIRE(result.manifest.has_value());
    const cachewarm::manifest::AccessLogSpec& log =
        *result.manifest->groups[0].keys_from->access_log;
    CHECK(log.format == "combined");
    CHECK(log.top == 1000);
    CHECK_FALSE(log.cover.has_value());
    CHECK(log.window == std::chrono::hours(1));
    CHECK(all_problems(with_group("  - name: g\n"
                                  "    keys_from: {access_log: {file: a.log, format: xml}}\n"
                                  "    value: {text: v}\n"))
          == std::vector<std::string>{
              "9:51: groups[1] (\"g\").keys_from.access_log.format: unknown \"xml\" (expected "
              "one of: combined, common, jsonl, csv, tsv, fields)",
          });
    CHECK(all_problems(with_group("  - name: g\n"
                                  "    keys_from: {access_log: {file: a.csv, format: csv}}\n"
                                  "    value: {text: v}\n"))
          == std::vector<std::string>{"9:29: groups[1] (\"g\").keys_from.access_log: format csv "
                                      "needs \"key\" or \"rules\""});
    CHECK(all_problems(
              with_group("  - name: g\n"
                         "    keys_from: {access_log: {file: a.log, status: 6xx}, cover: 2}\n"
                         "    value: {text: v}\n"))
          == std::vector<std::string>{
              "9:51: groups[1] (\"g\").keys_from.access_log.status: expected status classes "
              "such as 2xx or 3xx (1xx to 5xx), got \"6xx\"",
              "9:64: groups[1] (\"g\").keys_from.cover: expected a share of requests above 0 and "
              "at most 1, got \"2\""});
    CHECK(all_problems(with_group("  - name: g\n"
                                  "    keys_from: {access_log: {file: a.log}, file: k.txt}\n"
                                  "    value: {text: v}\n"))
          == std::vector<std::string>{
              "9:44: groups[1] (\"g\").keys_from: \"file\" cannot be combined with "
              "\"access_log\""});
    CHECK(
        all_problems(with_group("  - name: g\n"
                                "    keys_from: {access_log: {file: a.log, rules: [{match: x}]}}\n"
                                "    value: {text: v}\n"))
        == std::vector<std::string>{
            "9:51: groups[1] (\"g\").keys_from.access_log.rules[1]: missing \"key\""});
  }

  TEST_CASE("keys_from a file resolves the path and defaults to lines")
  {
    const LoadResult result = parse(with_group("  - name: g\n"
                                               "    keys_from: {file: lists/keys.txt}\n"
                                               "    value: {source: api, get: \"/p/{key}\"}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    const GroupSpec& group = result.manifest->groups[0];
    REQUIRE(group.keys_from.has_value());
    CHECK(group.keys_from->file == "/etc/cw/lists/keys.txt");
    CHECK(group.keys_from->source.empty());
    CHECK(group.keys_from->get.empty());
    CHECK(group.keys_from->format == KeyFormat::lines);
    CHECK(group.keys_from->field.empty());
    CHECK(group.keys_from->loc == Location{9, 16});
    CHECK(group.keys_loc == Location{9, 16});
    CHECK_FALSE(group.key.has_value());
  }

  TEST_CASE("keys_from keeps an absolute file path")
  {
    const LoadResult result = parse(with_group("  - name: g\n"
                                               "    keys_from: {file: /srv/keys.txt}\n"
                                               "    value: {text: v}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->groups[0].keys_from->file == "/srv/keys.txt");
  }

  TEST_CASE("keys_from over http names the source and the path")
  {
    const LoadResult result =
        parse(with_group("  - name: g\n"
                         "    keys_from: {source: api, get: \"/top.json?limit=100\", field: id}\n"
                         "    key: \"product:{id}\"\n"
                         "    value: {source: api, get: \"/products/{id}\"}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    const GroupSpec& group = result.manifest->groups[0];
    REQUIRE(group.keys_from.has_value());
    CHECK(group.keys_from->source == "api");
    CHECK(group.keys_from->get == "/top.json?limit=100");
    CHECK(group.keys_from->file.empty());
    CHECK(group.keys_from->format == KeyFormat::json);
    CHECK(group.keys_from->field == "id");
    REQUIRE(group.key.has_value());
    CHECK(group.key->text() == "product:{id}");
  }

  TEST_CASE("keys_from takes its default format from the extension")
  {
    const std::vector<std::pair<std::string, KeyFormat>> cases = {
        {"{file: k.jsonl, field: id}", KeyFormat::jsonl},
        {"{file: k.ndjson, field: id}", KeyFormat::jsonl},
        {"{file: k.csv, field: id}", KeyFormat::csv},
        {"{file: K.CSV, field: id}", KeyFormat::csv},
        {"{file: k.json}", KeyFormat::json},
        {"{file: sitemap.xml}", KeyFormat::sitemap},
        {"{file: k.txt}", KeyFormat::lines},
        {"{file: keys}", KeyFormat::lines},
        {"{file: dir.d/keys}", KeyFormat::lines},
        {"{source: api, get: \"/sitemap.xml?page=2\"}", KeyFormat::sitemap},
        {"{source: api, get: \"/export?as=keys.csv\"}", KeyFormat::lines},
        {"{source: api, get: /keys.ndjson, field: k}", KeyFormat::jsonl},
    };
    for (const auto& [keys_from, format] : cases) {
      CAPTURE(keys_from);
      const LoadResult result = parse(with_group("  - name: g\n"
                                                 "    keys_from: "
                                                 + keys_from
                                                 + "\n"
                                                   "    value: {text: v}\n"));
      INFO(cachewarm::manifest::to_string(result.diagnostics));
      REQUIRE(result.manifest.has_value());
      CHECK(result.manifest->groups[0].keys_from->format == format);
    }
  }

  TEST_CASE("an explicit keys_from format overrides the extension")
  {
    const LoadResult result =
        parse(with_group("  - name: g\n"
                         "    keys_from: {file: export.txt, format: csv, field: sku}\n"
                         "    key: \"sku:{sku}\"\n"
                         "    value: {text: v}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->groups[0].keys_from->format == KeyFormat::csv);
    CHECK(result.manifest->groups[0].keys_from->field == "sku");
  }

  TEST_CASE("keys_from json accepts an optional field")
  {
    const LoadResult result = parse(with_group("  - name: g\n"
                                               "    keys_from: {file: k.json, field: slug}\n"
                                               "    value: {text: v}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->groups[0].keys_from->field == "slug");
  }

  TEST_CASE("keys_from group templates are not checked against fields")
  {
    const LoadResult result =
        parse(with_group("  - name: g\n"
                         "    keys_from: {file: k.csv, field: id}\n"
                         "    key: \"item:{id}:{lang}\"\n"
                         "    value: {source: db, sql: \"SELECT v FROM t WHERE a = ? AND b = ?\", "
                         "params: [\"{id}\", \"{anything}\"]}\n"
                         "  - name: h\n"
                         "    keys_from: {file: k.txt}\n"
                         "    value: {text: \"{whatever}\"}\n"));
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    CHECK(result.manifest.has_value());
  }

  TEST_CASE("keys_from group templates still have their syntax checked")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {file: k.txt}\n"
                                  "    value: {source: api, get: \"/p/{key\"}\n"))
          == "10:31: groups[1] (\"x\").value.get: unclosed '{' at column 4");
  }

  TEST_CASE("a keys_from key template without variables is rejected")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {file: k.txt}\n"
                                  "    key: fixed\n"
                                  "    value: {text: v}\n"))
          == "10:10: groups[1] (\"x\").key: the key template has no variable, so every key read "
             "would write the same key");
  }

  TEST_CASE("a keys_from key template syntax error is reported")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {file: k.txt}\n"
                                  "    key: \"a:{key\"\n"
                                  "    value: {text: v}\n"))
          == "10:10: groups[1] (\"x\").key: unclosed '{' at column 3");
  }

  TEST_CASE("keys_from cannot be combined with another key source")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys: [a]\n"
                                  "    keys_from: {file: k.txt}\n"
                                  "    value: {text: v}\n"))
          == "10:5: groups[1] (\"x\"): \"keys_from\" cannot be combined with \"keys\" (a group has "
             "exactly one key source: keys, pattern, query or keys_from)");
  }

  TEST_CASE("keys_from snapshot: a path relative to the manifest, restore needs it and no ttl")
  {
    const LoadResult ok = parse(with_group("  - name: x\n"
                                           "    keys_from: {snapshot: hot.jsonl}\n"
                                           "    value: {restore: snapshot}\n"
                                           "    only_missing: true\n"));
    REQUIRE(ok.manifest.has_value());
    const cachewarm::manifest::GroupSpec& group = ok.manifest->groups.front();
    CHECK(group.keys_from->snapshot == "/etc/cw/hot.jsonl");
    CHECK(group.value->kind == cachewarm::manifest::ValueKind::restore);
    CHECK(
        all_problems(with_group("  - name: x\n"
                                "    keys_from: {snapshot: hot.jsonl, field: id}\n"
                                "    key: \"p:{key}\"\n"
                                "    value: {restore: dumps}\n"
                                "    ttl: 1h\n"
                                "  - name: y\n"
                                "    keys: [a]\n"
                                "    value: {restore: snapshot}\n"))
        == std::vector<std::string>{
            "9:38: groups[1] (\"x\").keys_from: \"field\" cannot be combined with \"snapshot\"",
            "10:5: groups[1] (\"x\"): \"key\" is not allowed with keys_from snapshot (its keys "
            "are the snapshot's own)",
            "11:22: groups[1] (\"x\").value.restore: expected \"snapshot\" (the DUMPs of a "
            "keys_from snapshot), got \"dumps\"",
            "12:5: groups[1] (\"x\"): \"ttl\" does not apply with {restore: snapshot} (a restored "
            "key keeps the TTL it had when the snapshot was taken)",
            "15:12: groups[2] (\"y\").value: {restore: snapshot} needs \"keys_from: {snapshot: "
            "FILE}\""});
  }

  TEST_CASE("keys_from must be a mapping")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: keys.txt\n"
                                  "    value: {text: v}\n"))
          == "9:16: groups[1] (\"x\").keys_from: expected a mapping like {file: keys.txt}, "
             "{source: api, get: /keys.json}, {access_log: {file: access.log}, top: 1000} or "
             "{snapshot: hot.jsonl}, got "
             "\"keys.txt\"");
  }

  TEST_CASE("keys_from needs a file or a get")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {format: lines}\n"
                                  "    value: {text: v}\n"))
          == "9:16: groups[1] (\"x\").keys_from: expected {file: PATH} or {source: S, get: PATH}");
  }

  TEST_CASE("keys_from file and get cannot be combined")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {get: /k.txt, source: api, file: k.txt}\n"
                                  "    value: {text: v}\n"))
          == "9:43: groups[1] (\"x\").keys_from: \"get\" and \"file\" cannot be combined");
  }

  TEST_CASE("keys_from source needs get and get needs source")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {source: api}\n"
                                  "    value: {text: v}\n"))
          == "9:16: groups[1] (\"x\").keys_from: \"source\" needs \"get\"");
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {get: /k.txt}\n"
                                  "    value: {text: v}\n"))
          == "9:16: groups[1] (\"x\").keys_from: \"get\" needs \"source\"");
  }

  TEST_CASE("keys_from file does not take a source")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {file: k.txt, source: api}\n"
                                  "    value: {text: v}\n"))
          == "9:30: groups[1] (\"x\").keys_from: \"source\" is not allowed with \"file\"");
  }

  TEST_CASE("keys_from get needs an http source")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {source: db, get: /k.txt}\n"
                                  "    value: {text: v}\n"))
          == "9:25: group \"x\": source \"db\" is a sqlite source; \"keys_from.get\" needs an http "
             "source");
  }

  TEST_CASE("keys_from get names a defined source")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {source: cms, get: /k.txt}\n"
                                  "    value: {text: v}\n"))
          == "9:25: group \"x\": unknown source \"cms\" (defined: db, api)");
  }

  TEST_CASE("keys_from get may not use template variables")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {source: api, get: \"/k/{day}/{n}.txt\"}\n"
                                  "    value: {text: v}\n"))
          == "9:35: groups[1] (\"x\").keys_from.get: template variables are not allowed here "
             "(found {day}, {n})");
  }

  TEST_CASE("keys_from get has its template syntax checked")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {source: api, get: \"/k}\"}\n"
                                  "    value: {text: v}\n"))
          == "9:35: groups[1] (\"x\").keys_from.get: unmatched '}' at column 3");
  }

  TEST_CASE("keys_from jsonl and csv need a field")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {file: k.csv}\n"
                                  "    value: {text: v}\n"))
          == "9:16: groups[1] (\"x\").keys_from: format csv needs \"field\"");
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {file: k.txt, format: jsonl}\n"
                                  "    value: {text: v}\n"))
          == "9:38: groups[1] (\"x\").keys_from: format jsonl needs \"field\"");
  }

  TEST_CASE("keys_from lines and sitemap take no field")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {file: k.txt, field: id}\n"
                                  "    value: {text: v}\n"))
          == "9:30: groups[1] (\"x\").keys_from: \"field\" is not allowed with format lines");
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {source: api, get: /sitemap.xml, field: loc}\n"
                                  "    value: {text: v}\n"))
          == "9:49: groups[1] (\"x\").keys_from: \"field\" is not allowed with format sitemap");
  }

  TEST_CASE("an unknown keys_from format lists the formats")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {file: k.csv, format: tsv, field: id}\n"
                                  "    value: {text: v}\n"))
          == "9:38: groups[1] (\"x\").keys_from.format: invalid format \"tsv\" (expected lines, "
             "jsonl, csv, json or sitemap)");
  }

  TEST_CASE("an unknown keys_from field suggests the close spelling")
  {
    CHECK(all_problems(with_group("  - name: x\n"
                                  "    keys_from: {file: k.txt, feild: id}\n"
                                  "    value: {text: v}\n"))
          == std::vector<std::string>{
              "9:30: unknown field \"feild\" in the keys_from of group \"x\" (expected one of: "
              "file, source, get, format, field, access_log, top, cover, max_keys, snapshot); did "
              "you "
              "mean "
              "\"field\"?"});
  }

  TEST_CASE("a misspelt keys_from field also leaves csv without its field")
  {
    CHECK(all_problems(with_group("  - name: x\n"
                                  "    keys_from: {file: k.csv, feild: id}\n"
                                  "    value: {text: v}\n"))
          == std::vector<std::string>{
              "9:16: groups[1] (\"x\").keys_from: format csv needs \"field\"",
              "9:30: unknown field \"feild\" in the keys_from of group \"x\" (expected one of: "
              "file, source, get, format, field, access_log, top, cover, max_keys, snapshot); did "
              "you "
              "mean "
              "\"field\"?"});
  }

  TEST_CASE("a keys_from field must be a non-empty string")
  {
    CHECK(only_problem(with_group("  - name: x\n"
                                  "    keys_from: {file: k.csv, field: \"\"}\n"
                                  "    value: {text: v}\n"))
          == "9:37: groups[1] (\"x\").keys_from.field: expected a non-empty string");
  }

  TEST_CASE("hostile input never throws or hangs")
  {
    for (const std::string& text :
         {std::string(100000, '['),
          std::string("a: &x [*x]\n"),
          std::string("a: *undefined\n"),
          std::string("groups: &g [*g]\nversion: 1\ntargets: {m: {url: \"redis://h\"}}\n"),
          std::string("\t\x01\xff: ]"),
          std::string("? [a]\n: 1\n"),
          std::string("groups:\n  - {? [x] : y}\n")}) {
      const LoadResult result = parse(text);
      CHECK_FALSE(result.diagnostics.empty());
      CHECK_FALSE(result.manifest.has_value());
    }
  }

  TEST_CASE("to_string prints file:line:column: message")
  {
    const Diagnostic diagnostic{"m.yaml", Location{3, 7}, "boom"};
    CHECK(diagnostic.to_string() == "m.yaml:3:7: boom");
    CHECK(cachewarm::manifest::to_string({diagnostic, diagnostic})
          == "m.yaml:3:7: boom\nm.yaml:3:7: boom\n");
  }

  TEST_CASE("load_manifest reports an unreadable file")
  {
    const LoadResult result =
        cachewarm::manifest::load_manifest("/nonexistent/cachewarm.yaml", fake_env({}));
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].to_string()
          == "/nonexistent/cachewarm.yaml: cannot read the manifest: no such file or directory");
  }

  TEST_CASE("load_manifest resolves sqlite paths against the manifest's directory")
  {
    const std::string path = "/tmp/cachewarm_test_manifest_parse.yaml";
    {
      std::ofstream out(path);
      out << "version: 1\n"
             "targets: {main: {url: \"redis://h:1\"}}\n"
             "sources: {db: {sqlite: data/c.db}}\n"
             "groups: []\n";
    }
    const LoadResult result = cachewarm::manifest::load_manifest(path, fake_env({}));
    std::remove(path.c_str());
    INFO(cachewarm::manifest::to_string(result.diagnostics));
    REQUIRE(result.manifest.has_value());
    CHECK(result.manifest->dir == "/tmp");
    CHECK(result.manifest->sources[0].sqlite_path == "/tmp/data/c.db");
  }
}
