#include "key_lists.hpp"

#include "results.hpp"

#include <doctest/doctest.h>

#include <utility>

namespace cachewarm::test {

std::string
key_fixture(std::string_view name)
{
  return std::string(CACHEWARM_SOURCE_DIR) + "/tests/fixtures/keys/" + std::string(name);
}

sources::KeyListOptions
key_options(sources::KeyListFormat format, std::string field, std::string_view key)
{
  sources::KeyListOptions result;
  result.format = format;
  result.field = std::move(field);
  if (!key.empty()) {
    result.key = parse_template(key);
  }
  return result;
}

std::unique_ptr<sources::KeySource>
open_ok(const std::string& path, const sources::KeyListOptions& options)
{
  return require_ok(sources::open_key_file(path, options));
}

std::unique_ptr<sources::KeySource>
parse_ok(std::string document, const sources::KeyListOptions& options)
{
  return require_ok(sources::parse_key_document(std::move(document), "doc", options));
}

Strings
messages_of(const std::vector<core::Failure>& failures)
{
  Strings messages;
  for (const core::Failure& failure : failures) {
    CHECK(failure.kind == "bad_key_row");
    messages.push_back(failure.key + ": " + failure.message);
  }
  return messages;
}

} // namespace cachewarm::test
