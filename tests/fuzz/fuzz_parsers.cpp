// libFuzzer target: the small text parsers. The first input byte selects the parser (modulo the
// number of parsers) and the rest of the input is its text; whatever parses is also used (a
// template is bound and rendered, a cron expression matched, a range indexed, a URL redacted).
// Any crash, sanitizer report, hang or broken contract (std::abort) is a bug.
//
// Built by scripts/fuzz.sh (CMake option CACHEWARM_FUZZ, clang only); seeds in tests/fuzz/corpus/
// (a seed's first byte picks its parser: '0' template, '1' duration, ... see k_parsers).

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/manifest/units.hpp"
#include "cachewarm/plan/cron.hpp"
#include "cachewarm/plan/schedule.hpp"
#include "cachewarm/sinks/redis_url.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace core = cachewarm::core;
namespace manifest = cachewarm::manifest;
namespace plan = cachewarm::plan;
namespace sinks = cachewarm::sinks;

void
require(bool condition)
{
  if (!condition) {
    std::abort();
  }
}

void
render_all(const core::BoundTemplate& bound, std::size_t field_count)
{
  // Every field set (one with a brace and a byte that URL-encoding must escape), then one NULL.
  std::vector<std::optional<std::string>> fields;
  for (std::size_t i = 0; i < field_count; ++i) {
    fields.emplace_back("v{" + std::to_string(i) + "}/\xff ");
  }
  const std::optional<std::string> plain = bound.render(fields);
  const std::optional<std::string> encoded = bound.render(fields, core::Escaping::url);
  require(plain.has_value() && encoded.has_value());
  if (bound.is_constant()) {
    require(*plain == *encoded);
  }
  if (field_count > 0) {
    fields.back() = std::nullopt;
    std::string out;
    static_cast<void>(bound.render_to(out, fields));
  }
}

void
fuzz_template(std::string_view text)
{
  const core::Result<core::Template> parsed = core::Template::parse(text);
  if (!parsed) {
    return;
  }
  require(parsed->text() == text);
  // Bound to its own variables: always succeeds.
  const std::vector<std::string>& own = parsed->variables();
  const core::Result<core::BoundTemplate> bound = parsed->bind(own);
  require(bound.has_value());
  render_all(*bound, own.size());
  // Bound to fixed names: may fail with "unknown variable".
  const std::array<std::string, 3> fixed = {"id", "key", "lang"};
  const core::Result<core::BoundTemplate> bound_fixed = parsed->bind(fixed);
  if (bound_fixed) {
    render_all(*bound_fixed, fixed.size());
  }
  std::string encoded;
  core::append_url_encoded(encoded, text);
}

void
fuzz_duration(std::string_view text)
{
  const core::Result<std::chrono::milliseconds> parsed = manifest::parse_duration(text);
  if (parsed) {
    const std::string formatted = manifest::format_duration(*parsed);
    const core::Result<std::chrono::milliseconds> again = manifest::parse_duration(formatted);
    require(again.has_value() && *again == *parsed); // format_duration's output parses back
  }
}

void
fuzz_rate(std::string_view text)
{
  const core::Result<manifest::Rate> parsed = manifest::parse_rate(text);
  if (parsed) {
    require(parsed->per_second >= 0.0);
  }
}

void
fuzz_range(std::string_view text)
{
  const core::Result<manifest::Range> parsed = manifest::parse_range(text);
  if (!parsed) {
    return;
  }
  require(parsed->first >= 0 && parsed->first <= parsed->last);
  const std::uint64_t size = parsed->size();
  require(size >= 1);
  static_cast<void>(parsed->at(0));
  static_cast<void>(parsed->at(size / 2));
  static_cast<void>(parsed->at(size - 1));
}

void
fuzz_jitter(std::string_view text)
{
  const core::Result<manifest::Jitter> parsed = manifest::parse_jitter(text);
  if (parsed) {
    require(parsed->fraction >= 0.0 && parsed->fraction <= 1.0);
    require(parsed->absolute.count() >= 0);
  }
}

void
fuzz_size(std::string_view text)
{
  static_cast<void>(manifest::parse_size(text));
}

void
fuzz_cron(std::string_view text)
{
  const core::Result<plan::CronExpr> parsed = plan::CronExpr::parse(text);
  if (!parsed) {
    return;
  }
  require(parsed->text() == text);
  // minute hour day month weekday, including the ends of every field's range.
  constexpr std::array<std::array<int, 5>, 8> k_dates = {{{0, 0, 1, 1, 0},
                                                          {59, 23, 31, 12, 6},
                                                          {30, 3, 15, 6, 3},
                                                          {0, 12, 29, 2, 0},
                                                          {45, 8, 23, 11, 1},
                                                          {1, 1, 31, 1, 5},
                                                          {15, 18, 30, 4, 4},
                                                          {59, 0, 28, 2, 6}}};
  for (const std::array<int, 5>& date : k_dates) {
    static_cast<void>(parsed->matches(date[0], date[1], date[2], date[3], date[4]));
  }
}

void
fuzz_instant(std::string_view text)
{
  const core::Result<plan::Instant> parsed = plan::parse_instant(text);
  if (parsed) {
    static_cast<void>(plan::format_instant(*parsed));
  }
}

void
fuzz_redis_url(std::string_view text)
{
  const core::Result<sinks::RedisAddress> parsed = sinks::parse_redis_url(text);
  const std::string redacted = sinks::redact_url(text);
  if (parsed && !parsed->password.empty()) {
    require(redacted.find("***") != std::string::npos); // the password was replaced
  }
}

using Parser = void (*)(std::string_view);

constexpr std::array<Parser, 10> k_parsers = {
    fuzz_template,  // '0'
    fuzz_duration,  // '1'
    fuzz_rate,      // '2'
    fuzz_range,     // '3'
    fuzz_jitter,    // '4'
    fuzz_size,      // '5'
    fuzz_cron,      // '6'
    fuzz_instant,   // '7'
    fuzz_redis_url, // '8'
    fuzz_redis_url, // '9': URLs get a second share of the inputs
};

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  if (size == 0) {
    return 0;
  }
  // '0'..'9' (48..57) map to parsers 0..9, so seeds can be written as text.
  static_assert(k_parsers.size() == 10);
  const Parser parser = k_parsers[static_cast<std::size_t>(data[0] - '0' + 250) % 10];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  parser(text);
  return 0;
}
