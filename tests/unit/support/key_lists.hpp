#pragma once

// Helpers for the unit tests of the key-list parts (tests/unit/test_sources_{key_lists,key_rows,
// streamed_keys,json_keys,sitemap_keys}.cpp): options, opening files and documents, fixtures.

#include "sources.hpp"

#include "cachewarm/core/types.hpp"
#include "cachewarm/sources/key_lists.hpp"
#include "cachewarm/sources/source.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::test {

// The path of tests/fixtures/keys/`name`.
std::string key_fixture(std::string_view name);

// KeyListOptions for `format`, the key `field` and the key template `key` (none when empty);
// fails the test case if `key` does not parse.
sources::KeyListOptions
key_options(sources::KeyListFormat format, std::string field = {}, std::string_view key = {});

// open_key_file(`path`, `options`), which must succeed.
std::unique_ptr<sources::KeySource> open_ok(const std::string& path,
                                            const sources::KeyListOptions& options);

// parse_key_document(`document`, "doc", `options`), which must succeed.
std::unique_ptr<sources::KeySource> parse_ok(std::string document,
                                             const sources::KeyListOptions& options);

// "<key>: <message>" of each failure, as the report's samples show them, checking that each is
// a `bad_key_row`.
Strings messages_of(const std::vector<core::Failure>& failures);

} // namespace cachewarm::test
