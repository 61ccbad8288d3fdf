#include "cachewarm/core/template.hpp"
#include "cachewarm/manifest/diagnostic.hpp"
#include "cachewarm/manifest/manifest.hpp"
#include "cachewarm/manifest/parse.hpp"
#include "cachewarm/plan/plan.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using cachewarm::manifest::Defaults;
using cachewarm::manifest::Diagnostic;
using cachewarm::manifest::GroupSpec;
using cachewarm::manifest::Jitter;
using cachewarm::manifest::Location;
using cachewarm::manifest::Manifest;
using cachewarm::manifest::PatternVar;
using cachewarm::manifest::QuerySpec;
using cachewarm::manifest::Range;
using cachewarm::manifest::Rate;
using cachewarm::manifest::SourceKind;
using cachewarm::manifest::SourceSpec;
using cachewarm::manifest::TargetSpec;
using cachewarm::manifest::ThrottleSpec;
using cachewarm::manifest::ValueKind;
using cachewarm::manifest::ValueSpec;
using cachewarm::plan::GroupPlan;
using cachewarm::plan::make_plan;
using cachewarm::plan::Plan;
using cachewarm::plan::PlanOptions;

namespace {

using Strings = std::vector<std::string>;

// `text` compiled, as the manifest parser holds templates; fails the test case on a syntax error.
cachewarm::core::Template
compiled(std::string_view text)
{
  auto parsed = cachewarm::core::Template::parse(text);
  REQUIRE(parsed.has_value());
  return std::move(*parsed);
}

TargetSpec
target(std::string name, Location loc = {})
{
  TargetSpec spec;
  spec.name = std::move(name);
  spec.url = "redis://127.0.0.1:6379";
  spec.loc = loc;
  return spec;
}

SourceSpec
source(std::string name, SourceKind kind)
{
  SourceSpec spec;
  spec.name = std::move(name);
  spec.kind = kind;
  return spec;
}

// A group of two literal keys with a text value.
GroupSpec
group(std::string name, int priority = 0)
{
  GroupSpec spec;
  spec.name = std::move(name);
  spec.priority = priority;
  spec.keys = {"k1", "k2"};
  spec.value = ValueSpec{};
  spec.value->text = compiled("v");
  return spec;
}

// A manifest at m.yaml with one target `main` and `groups`.
Manifest
manifest_with(std::vector<GroupSpec> groups)
{
  Manifest manifest;
  manifest.path = "m.yaml";
  manifest.targets.push_back(target("main"));
  manifest.groups = std::move(groups);
  return manifest;
}

Plan
plan_ok(const Manifest& manifest, const PlanOptions& options = {})
{
  auto plan = make_plan(manifest, options);
  if (!plan) {
    FAIL(cachewarm::manifest::to_string(plan.error()));
  }
  return *plan;
}

// Every diagnostic as `file:line:column: message`.
Strings
problems(const Manifest& manifest, const PlanOptions& options = {})
{
  auto plan = make_plan(manifest, options);
  REQUIRE_FALSE(plan.has_value());
  Strings lines;
  for (const Diagnostic& diagnostic : plan.error()) {
    lines.push_back(diagnostic.to_string());
  }
  return lines;
}

Strings
group_names(const Plan& plan)
{
  Strings names;
  for (const GroupPlan& step : plan.groups) {
    names.push_back(step.spec->name);
  }
  return names;
}

Strings
target_names(const GroupPlan& step)
{
  Strings names;
  for (const TargetSpec* spec : step.targets) {
    names.push_back(spec->name);
  }
  return names;
}

PatternVar
range_var(std::string name, std::int64_t first, std::int64_t last)
{
  PatternVar var;
  var.name = std::move(name);
  var.range = Range{first, last, 0};
  return var;
}

PatternVar
list_var(std::string name, Strings values)
{
  PatternVar var;
  var.name = std::move(name);
  var.values = std::move(values);
  return var;
}

cachewarm::manifest::EnvLookup
no_env()
{
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

} // namespace

TEST_SUITE("plan::plan")
{
  TEST_CASE("groups run by priority, highest first")
  {
    const Manifest manifest = manifest_with({group("a", 0), group("b", 10), group("c", 5)});
    CHECK(group_names(plan_ok(manifest)) == Strings{"b", "c", "a"});
  }

  TEST_CASE("equal priorities keep manifest order")
  {
    const Manifest manifest =
        manifest_with({group("a", 1), group("b", 1), group("c", 5), group("d", 1), group("e", -3)});
    CHECK(group_names(plan_ok(manifest)) == Strings{"c", "a", "b", "d", "e"});
  }

  TEST_CASE("without -g every group runs, pointing at its manifest entry")
  {
    const Manifest manifest = manifest_with({group("a"), group("b")});
    const Plan plan = plan_ok(manifest);
    REQUIRE(plan.groups.size() == 2);
    CHECK(plan.groups[0].spec == &manifest.groups[0]);
    CHECK(plan.groups[1].spec == &manifest.groups[1]);
    CHECK(plan.groups[0].reason == "run: every group");
    CHECK(plan.groups[1].reason == "run: every group");
  }

  TEST_CASE("a manifest without groups gives an empty plan")
  {
    CHECK(plan_ok(manifest_with({})).groups.empty());
  }

  TEST_CASE("-g selects only the named groups")
  {
    const Manifest manifest = manifest_with({group("a"), group("b"), group("c")});
    PlanOptions options;
    options.groups = {"a", "c"};
    const Plan plan = plan_ok(manifest, options);
    CHECK(group_names(plan) == Strings{"a", "c"});
    for (const GroupPlan& step : plan.groups) {
      CHECK(step.reason == "selected with -g");
    }
  }

  TEST_CASE("-g selections still run by priority")
  {
    const Manifest manifest = manifest_with({group("a", 0), group("b", 9), group("c", 3)});
    PlanOptions options;
    options.groups = {"a", "c", "b"};
    CHECK(group_names(plan_ok(manifest, options)) == Strings{"b", "c", "a"});
  }

  TEST_CASE("-g order does not change manifest order among equal priorities")
  {
    const Manifest manifest = manifest_with({group("a"), group("b"), group("c")});
    PlanOptions options;
    options.groups = {"c", "a"};
    CHECK(group_names(plan_ok(manifest, options)) == Strings{"a", "c"});
  }
  TEST_CASE("-g naming a group more than once plans it once")
  {
    const Manifest manifest = manifest_with({group("a"), group("b"), group("c")});
    PlanOptions options;
    options.groups = {"a", "b", "a", "b", "a"};
    CHECK(group_names(plan_ok(manifest, options)) == Strings{"a", "b"});
  }

  TEST_CASE("-g naming an unknown group lists the defined groups")
  {
    const Manifest manifest = manifest_with({group("homepage"), group("top-products")});
    PlanOptions options;
    options.groups = {"homepage", "nope"};
    auto plan = make_plan(manifest, options);
    REQUIRE_FALSE(plan.has_value());
    REQUIRE(plan.error().size() == 1);
    const Diagnostic& diagnostic = plan.error().front();
    CHECK(diagnostic.file == "m.yaml");
    CHECK(diagnostic.loc == Location{0, 0});
    CHECK(diagnostic.message == "unknown group \"nope\" (defined: homepage, top-products)");
    CHECK(diagnostic.to_string()
          == "m.yaml: unknown group \"nope\" (defined: homepage, top-products)");
  }

  TEST_CASE("every unknown -g name is reported")
  {
    const Manifest manifest = manifest_with({group("a")});
    PlanOptions options;
    options.groups = {"x", "a", "y"};
    CHECK(problems(manifest, options)
          == Strings{"m.yaml: unknown group \"x\" (defined: a)",
                     "m.yaml: unknown group \"y\" (defined: a)"});
  }

  TEST_CASE("-g on a manifest without groups lists none")
  {
    PlanOptions options;
    options.groups = {"x"};
    CHECK(problems(manifest_with({}), options)
          == Strings{"m.yaml: unknown group \"x\" (defined: )"});
  }

  TEST_CASE("settings fall back to the defaults")
  {
    Manifest manifest = manifest_with({group("a")});
    manifest.defaults.batch = 250;
    manifest.defaults.concurrency = 8;
    manifest.defaults.rate = Rate{100000.0};
    manifest.defaults.ttl = 1h;
    manifest.defaults.ttl_jitter = Jitter{0.1, 0ms};
    manifest.defaults.only_missing = true;
    const Plan plan = plan_ok(manifest);
    REQUIRE(plan.groups.size() == 1);
    const GroupPlan& step = plan.groups[0];
    CHECK(step.batch == 250);
    CHECK(step.concurrency == 8);
    CHECK(step.rate == Rate{100000.0});
    CHECK(step.ttl == 1h);
    CHECK(step.ttl_jitter == Jitter{0.1, 0ms});
    CHECK(step.only_missing == true);
  }

  TEST_CASE("built-in defaults: batch 500, concurrency 4, unlimited, no TTL, overwrite")
  {
    const Plan plan = plan_ok(manifest_with({group("a")}));
    REQUIRE(plan.groups.size() == 1);
    const GroupPlan& step = plan.groups[0];
    CHECK(step.batch == 500);
    CHECK(step.concurrency == 4);
    CHECK(step.rate == Rate{0.0});
    CHECK(step.ttl == 0ms);
    CHECK(step.ttl_jitter.is_zero());
    CHECK(step.only_missing == false);
  }

  TEST_CASE("group settings override the defaults")
  {
    GroupSpec spec = group("a");
    spec.batch = 10;
    spec.concurrency = 2;
    spec.rate = Rate{5000.0};
    spec.ttl = 2h;
    spec.ttl_jitter = Jitter{0.0, 5min};
    spec.only_missing = false;
    Manifest manifest = manifest_with({spec});
    manifest.defaults.batch = 250;
    manifest.defaults.concurrency = 8;
    manifest.defaults.rate = Rate{100000.0};
    manifest.defaults.ttl = 1h;
    manifest.defaults.ttl_jitter = Jitter{0.1, 0ms};
    manifest.defaults.only_missing = true;
    const Plan plan = plan_ok(manifest);
    REQUIRE(plan.groups.size() == 1);
    const GroupPlan& step = plan.groups[0];
    CHECK(step.batch == 10);
    CHECK(step.concurrency == 2);
    CHECK(step.rate == Rate{5000.0});
    CHECK(step.ttl == 2h);
    CHECK(step.ttl_jitter == Jitter{0.0, 5min});
    CHECK(step.only_missing == false);
  }

  TEST_CASE("a fixed rate caps the batch at 50 ms of the rate, at least one key")
  {
    GroupSpec slow = group("slow");
    slow.rate = Rate{1000.0};
    GroupSpec crawl = group("crawl");
    crawl.rate = Rate{2.0};
    GroupSpec fast = group("fast");
    fast.rate = Rate{50000.0};
    GroupSpec adaptive = group("adaptive");
    adaptive.rate = Rate{0.0, true};
    const Plan plan = plan_ok(manifest_with({slow, crawl, fast, adaptive}));
    REQUIRE(plan.groups.size() == 4);
    CHECK(plan.groups[0].batch == 50);
    CHECK(plan.groups[1].batch == 1);
    CHECK(plan.groups[2].batch == 500);
    CHECK(plan.groups[3].batch == 500);
  }

  TEST_CASE("rate auto gets the default throttle; a throttle keeps a numeric rate as its ceiling")
  {
    GroupSpec automatic = group("automatic");
    automatic.rate = Rate{0.0, true};
    GroupSpec capped = group("capped");
    capped.rate = Rate{20000.0};
    ThrottleSpec strict;
    strict.max_latency = 2ms;
    capped.throttle = strict;
    GroupSpec plain = group("plain");
    GroupSpec inherits = group("inherits");
    Manifest manifest = manifest_with({automatic, capped, plain, inherits});
    const Plan without_defaults = plan_ok(manifest);
    REQUIRE(without_defaults.groups.size() == 4);
    REQUIRE(without_defaults.groups[0].throttle.has_value());
    CHECK(*without_defaults.groups[0].throttle == ThrottleSpec{});
    REQUIRE(without_defaults.groups[1].throttle.has_value());
    CHECK(without_defaults.groups[1].throttle->max_latency == 2ms);
    CHECK(without_defaults.groups[1].rate == Rate{20000.0});
    CHECK_FALSE(without_defaults.groups[2].throttle.has_value());

    ThrottleSpec relaxed;
    relaxed.max_memory = 0.5;
    manifest.defaults.throttle = relaxed;
    const Plan with_defaults = plan_ok(manifest);
    REQUIRE(with_defaults.groups[3].throttle.has_value());
    CHECK(with_defaults.groups[3].throttle->max_memory == doctest::Approx(0.5));
    CHECK(with_defaults.groups[1].throttle->max_latency == 2ms); // the group's own wins
  }

  TEST_CASE("the command line overrides group and defaults for batch, concurrency and rate")
  {
    GroupSpec configured = group("configured");
    configured.batch = 10;
    configured.concurrency = 2;
    configured.rate = Rate{5000.0};
    configured.ttl = 2h;
    Manifest manifest = manifest_with({configured, group("plain")});
    manifest.defaults.batch = 250;
    manifest.defaults.concurrency = 8;
    manifest.defaults.rate = Rate{100000.0};
    manifest.defaults.ttl = 1h;
    PlanOptions options;
    options.batch = 1000;
    options.concurrency = 16;
    options.rate = Rate{100000.0};
    const Plan plan = plan_ok(manifest, options);
    REQUIRE(plan.groups.size() == 2);
    for (const GroupPlan& step : plan.groups) {
      CAPTURE(step.spec->name);
      CHECK(step.batch == 1000);
      CHECK(step.concurrency == 16);
      CHECK(step.rate == Rate{100000.0});
    }
    // TTL has no command-line option: group, then defaults.
    CHECK(plan.groups[0].ttl == 2h);
    CHECK(plan.groups[1].ttl == 1h);
  }

  TEST_CASE("an unlimited rate on the command line overrides a group's rate")
  {
    GroupSpec spec = group("a");
    spec.rate = Rate{5000.0};
    PlanOptions options;
    options.rate = Rate{0.0};
    const Plan plan = plan_ok(manifest_with({spec}), options);
    REQUIRE(plan.groups.size() == 1);
    CHECK(plan.groups[0].rate == Rate{0.0});
  }

  TEST_CASE("the only target is the default target")
  {
    const Manifest manifest = manifest_with({group("a")});
    const Plan plan = plan_ok(manifest);
    REQUIRE(plan.groups.size() == 1);
    REQUIRE(plan.groups[0].targets.size() == 1);
    CHECK(plan.groups[0].targets[0] == &manifest.targets[0]);
  }

  TEST_CASE("defaults.target is used when a group names no target")
  {
    Manifest manifest = manifest_with({group("a")});
    manifest.targets.push_back(target("eu"));
    manifest.defaults.target = "eu";
    const Plan plan = plan_ok(manifest);
    REQUIRE(plan.groups.size() == 1);
    CHECK(target_names(plan.groups[0]) == Strings{"eu"});
  }

  TEST_CASE("a group's own targets win over defaults.target, in the group's order")
  {
    GroupSpec spec = group("a");
    spec.targets = {"eu", "main"};
    Manifest manifest = manifest_with({spec});
    manifest.targets.push_back(target("eu"));
    manifest.targets.push_back(target("us"));
    manifest.defaults.target = "us";
    const Plan plan = plan_ok(manifest);
    REQUIRE(plan.groups.size() == 1);
    CHECK(target_names(plan.groups[0]) == Strings{"eu", "main"});
  }

  TEST_CASE("several targets and no default is a diagnostic at the group")
  {
    GroupSpec spec = group("a");
    spec.loc = Location{12, 5};
    Manifest manifest = manifest_with({spec});
    manifest.targets.push_back(target("eu"));
    CHECK(problems(manifest)
          == Strings{"m.yaml:12:5: group \"a\": no target (set target: or defaults.target)"});
  }

  TEST_CASE("an unknown target name is a diagnostic at the group's targets")
  {
    GroupSpec spec = group("a");
    spec.targets = {"main", "mars"};
    spec.loc = Location{7, 5};
    spec.targets_loc = Location{8, 14};
    CHECK(problems(manifest_with({spec}))
          == Strings{"m.yaml:8:14: group \"a\": unknown target \"mars\""});
  }

  TEST_CASE("key_count is the number of literal keys")
  {
    GroupSpec spec = group("a");
    spec.keys = {"x", "y", "z"};
    const Plan plan = plan_ok(manifest_with({spec}));
    REQUIRE(plan.groups.size() == 1);
    CHECK(plan.groups[0].key_count == std::optional<std::uint64_t>{3});
  }

  TEST_CASE("key_count of a pattern is the product of its ranges and lists")
  {
    GroupSpec spec = group("a");
    spec.keys.clear();
    spec.pattern = compiled("product:{id}:page:{lang}");
    spec.with = {range_var("id", 1, 5000), list_var("lang", {"en", "de"})};
    const Plan plan = plan_ok(manifest_with({spec}));
    REQUIRE(plan.groups.size() == 1);
    CHECK(plan.groups[0].key_count == std::optional<std::uint64_t>{10000});
  }

  TEST_CASE("key_count of a pattern with an empty list is 0")
  {
    GroupSpec spec = group("a");
    spec.keys.clear();
    spec.pattern = compiled("p:{id}:{lang}");
    spec.with = {range_var("id", 7, 9), list_var("lang", {})};
    const Plan plan = plan_ok(manifest_with({spec}));
    REQUIRE(plan.groups.size() == 1);
    CHECK(plan.groups[0].key_count == std::optional<std::uint64_t>{0});
  }

  TEST_CASE("key_count of a pattern beyond 2^64 keys is unknown")
  {
    GroupSpec spec = group("a");
    spec.keys.clear();
    spec.pattern = compiled("p:{a}:{b}");
    spec.with = {range_var("a", 0, 4294967295), range_var("b", 0, 4294967295)};
    const Plan plan = plan_ok(manifest_with({spec}));
    REQUIRE(plan.groups.size() == 1);
    CHECK_FALSE(plan.groups[0].key_count.has_value());
  }

  TEST_CASE("key_count of a query is unknown")
  {
    GroupSpec spec = group("a");
    spec.keys.clear();
    spec.query = QuerySpec{"catalog", "SELECT id, body FROM t", {}};
    spec.key = compiled("item:{id}");
    Manifest manifest = manifest_with({spec});
    manifest.sources.push_back(source("catalog", SourceKind::sqlite));
    const Plan plan = plan_ok(manifest);
    REQUIRE(plan.groups.size() == 1);
    CHECK_FALSE(plan.groups[0].key_count.has_value());
  }

  TEST_CASE("postgres queries, postgres lookups and HTTP lookups are planned")
  {
    GroupSpec orders = group("orders");
    orders.keys.clear();
    orders.query = QuerySpec{"db", "SELECT id FROM orders", Location{14, 12}};
    orders.key = compiled("order:{id}");
    GroupSpec pages = group("pages");
    pages.value = ValueSpec{};
    pages.value->kind = ValueKind::lookup_http;
    pages.value->source = "api";
    pages.value->get = compiled("/pages/{key}");
    GroupSpec blobs = group("after-deploy");
    blobs.value = ValueSpec{};
    blobs.value->kind = ValueKind::lookup_sql;
    blobs.value->source = "db";
    blobs.value->sql = "SELECT body FROM blobs WHERE name = $1";
    blobs.value->params = {compiled("{key}")};
    Manifest manifest = manifest_with({orders, pages, blobs});
    manifest.sources.push_back(source("db", SourceKind::postgres));
    manifest.sources.push_back(source("api", SourceKind::http));
    CHECK(group_names(plan_ok(manifest)) == Strings{"orders", "pages", "after-deploy"});
  }

  TEST_CASE("sqlite queries and lookups are supported")
  {
    GroupSpec queried = group("queried");
    queried.keys.clear();
    queried.query = QuerySpec{"catalog", "SELECT id FROM t", {}};
    queried.key = compiled("k:{id}");
    GroupSpec looked_up = group("looked-up");
    looked_up.value->kind = ValueKind::lookup_sql;
    looked_up.value->source = "catalog";
    looked_up.value->sql = "SELECT v FROM t WHERE k = ?";
    looked_up.value->params = {compiled("{key}")};
    Manifest manifest = manifest_with({queried, looked_up});
    manifest.sources.push_back(source("catalog", SourceKind::sqlite));
    CHECK(plan_ok(manifest).groups.size() == 2);
  }

  TEST_CASE("a cluster target plans like any other")
  {
    GroupSpec first = group("first");
    first.targets = {"main", "eu"};
    Manifest manifest = manifest_with({first});
    TargetSpec eu = target("eu", Location{4, 3});
    eu.cluster = true;
    manifest.targets.push_back(eu);
    CHECK(plan_ok(manifest).groups.front().targets.size() == 2);
  }

  TEST_CASE("DESIGN's sources and targets plan without problems, a cluster target included")
  {
    constexpr std::string_view text = R"(version: 1
targets:
  main: {url: "redis://127.0.0.1:6379"}
  eu: {url: "redis://10.1.0.5:6379", cluster: true}
sources:
  catalog: {sqlite: data/catalog.db}
  orders: {postgres: "postgresql://app@db/orders"}
  api:
    http: {base_url: "https://api.example.com"}
defaults: {target: main}
groups:
  - name: orders
    query: {source: orders, sql: "SELECT id, body FROM orders"}
    key: "order:{id}"
    value: {column: body}
  - name: pages
    priority: 10
    keys: [page:home]
    value: {source: api, get: "/pages/{key}"}
  - name: everywhere
    targets: [main, eu]
    keys: [config:features]
    value: {text: "on"}
  - name: products
    query: {source: catalog, sql: "SELECT id, body FROM products"}
    key: "product:{id}"
    value: {column: body}
)";
    const auto loaded = cachewarm::manifest::parse_manifest(text, "m.yaml", "/etc/cw", no_env());
    REQUIRE_MESSAGE(loaded.diagnostics.empty(), cachewarm::manifest::to_string(loaded.diagnostics));
    REQUIRE(loaded.manifest.has_value());
    CHECK(plan_ok(*loaded.manifest).groups.size() == 4);
  }

  TEST_CASE("a parsed manifest's -g selection plans only the chosen group")
  {
    constexpr std::string_view text = R"(version: 1
targets:
  main: {url: "redis://127.0.0.1:6379"}
sources:
  orders: {postgres: "postgresql://app@db/orders"}
defaults: {batch: 100, ttl: 1h}
groups:
  - name: orders
    query: {source: orders, sql: "SELECT id, body FROM orders"}
    key: "order:{id}"
    value: {column: body}
  - name: pages
    pattern: "page:{id}"
    with: {id: "1..20"}
    batch: 5
    value: {text: "page {id}"}
)";
    const auto loaded = cachewarm::manifest::parse_manifest(text, "m.yaml", "/etc/cw", no_env());
    REQUIRE_MESSAGE(loaded.diagnostics.empty(), cachewarm::manifest::to_string(loaded.diagnostics));
    REQUIRE(loaded.manifest.has_value());
    PlanOptions options;
    options.groups = {"pages"};
    const Plan plan = plan_ok(*loaded.manifest, options);
    REQUIRE(plan.groups.size() == 1);
    const GroupPlan& step = plan.groups[0];
    CHECK(step.spec->name == "pages");
    CHECK(step.batch == 5);
    CHECK(step.ttl == 1h);
    CHECK(step.key_count == std::optional<std::uint64_t>{20});
    CHECK(target_names(step) == Strings{"main"});
  }
}
