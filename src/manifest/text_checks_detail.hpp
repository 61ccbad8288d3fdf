#pragma once

// Pure text checks behind the manifest parser (text_checks.cpp): ${VAR} expansion, typo
// suggestions, names, schedule time formats, keys_from formats and message quoting. No yaml-cpp.
// (Templates are compiled by core::Template::parse, see YamlReader::compile_template.) Private to
// src/manifest.

#include "cachewarm/manifest/parse.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cachewarm::manifest::detail {

// The outcome of expanding `${VAR}` references in one scalar.
struct EnvExpansion {
  std::string text;
  std::string error; // empty: success
};

// Expands `${VAR}` and `${VAR:-default}` (default also used when VAR is empty) with `env`;
// `$${` gives a literal `${`. Errors: `environment variable "X" is not set`,
// `unterminated "${" (expected ${NAME} or ${NAME:-default})`, `invalid environment variable
// name "x"`. The expansion is never re-scanned.
EnvExpansion expand_env(std::string_view text, const EnvLookup& env);

// The entry of `candidates` closest to `word` by edit distance (with transpositions), or "" when
// none is close enough to be a plausible typo.
std::string closest_match(std::string_view word, std::span<const std::string_view> candidates);

// True for names made of [A-Za-z0-9_.-]+ (group names and template variables).
bool is_valid_name(std::string_view name);

// True for `HH:MM` with HH 00..23 and MM 00..59.
bool is_hhmm(std::string_view text);

// True for `MM-DD` naming a real day of a (leap) year.
bool is_mmdd(std::string_view text);

// True for mon, tue, wed, thu, fri, sat, sun.
bool is_day_name(std::string_view text);

// Number of whitespace-separated fields in `text`.
std::size_t count_fields(std::string_view text);

// The manifest's word for a keys_from format ("lines", "jsonl", "csv", "json", "sitemap").
std::string_view key_format_name(KeyFormat format);

// The format called `name` (one of key_format_name's words), or nullopt.
std::optional<KeyFormat> key_format_named(std::string_view name);

// The default keys_from format for a file path or URL path: its extension, ignoring any
// `?query` and case, picks .jsonl/.ndjson -> jsonl, .csv -> csv, .json -> json,
// .xml -> sitemap; anything else is lines.
KeyFormat key_format_for_path(std::string_view path);

// `text` in double quotes for a message, with control characters escaped and long texts cut.
std::string quote(std::string_view text);

// `items` joined with ", ".
std::string join(std::span<const std::string> items);

// True when `name` is one of `names`.
bool contains(std::span<const std::string> names, std::string_view name);
bool contains(std::span<const std::string_view> names, std::string_view name);

// `names` for a message: "defined: a, b", or "none defined" when there are none.
std::string names_or_none(std::span<const std::string> names);

} // namespace cachewarm::manifest::detail
