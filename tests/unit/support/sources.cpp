#include "sources.hpp"

#include "results.hpp"

#include <doctest/doctest.h>

#include <utility>
#include <variant>

namespace cachewarm::test {

namespace {

// drain() gives up on a source that has not ended after this many calls.
constexpr std::size_t k_max_calls = 100'000;

} // namespace

core::Template
parse_template(std::string_view text)
{
  return require_ok(core::Template::parse(text));
}

Drained
drain(sources::KeySource& source, std::size_t batch)
{
  Drained out;
  for (;;) {
    const std::size_t before = out.rows.size() + out.failures.size();
    const core::Result<bool> more = source.next(batch, out.rows, out.failures);
    REQUIRE_MESSAGE(more.has_value(), (more ? std::string() : more.error().message));
    ++out.calls;
    REQUIRE(out.rows.size() + out.failures.size() - before <= batch);
    if (!*more) {
      return out;
    }
    REQUIRE_MESSAGE(out.calls < k_max_calls, "the source does not end");
  }
}

std::vector<core::Row>
drain_rows(sources::KeySource& source, std::size_t batch)
{
  Drained out = drain(source, batch);
  CHECK(out.failures.empty());
  return std::move(out.rows);
}

Resolved
resolve(sources::ValueResolver& resolver, std::vector<core::Row> rows)
{
  Resolved out;
  const core::Result<void> result = resolver.resolve(rows, out.entries, out.failures);
  REQUIRE_MESSAGE(result.has_value(), (result ? std::string() : result.error().message));
  return out;
}

const std::string&
text_of(const core::Entry& entry)
{
  REQUIRE(std::holds_alternative<std::string>(entry.value));
  return std::get<std::string>(entry.value);
}

} // namespace cachewarm::test
