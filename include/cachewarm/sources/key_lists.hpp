#pragma once

#include "cachewarm/core/result.hpp"
#include "cachewarm/core/template.hpp"
#include "cachewarm/sources/source.hpp"

#include <memory>
#include <optional>
#include <string>

namespace cachewarm::sources {

// How a key file or document is read (the manifest's `keys_from.*.format`).
enum class KeyListFormat {
  lines,   // one key per line
  jsonl,   // JSON Lines: one object per line
  csv,     // a header line naming the columns, then one record per row (RFC 4180 quoting)
  json,    // one array of strings or of objects, parsed whole
  sitemap, // an XML sitemap's <loc> URLs, parsed whole
};

// What to read from a key file or document, and how to make each key.
struct KeyListOptions {
  KeyListFormat format = KeyListFormat::lines;
  std::string field;                 // jsonl / json objects / csv: the member or column
  std::optional<core::Template> key; // template over the row's fields; default: the key field
};

// Keys streamed from the file at `path` (memory independent of the file's size for lines, jsonl
// and csv). Row fields: lines -> {line}; jsonl -> {<field>}; csv -> every column of the header
// line; json -> {value} for an array of strings, {<field>} for an array of objects; sitemap ->
// {url, path} (path = the URL's path and query). The key is `key` rendered over the fields, or
// the key field itself. A row that cannot give a key (a line that is not JSON, a missing member,
// a short CSV row) is a failure of kind `bad_key_row` naming its line number.
// A row whose key comes out empty is a `bad_key_row` failure too.
// Errors: Errc::source (cannot open the file); Errc::manifest (csv header lacks `field`, the key
// template names an unknown field, jsonl/csv without `field`, a json array of objects without
// `field`).
core::Result<std::unique_ptr<KeySource>> open_key_file(const std::string& path,
                                                       const KeyListOptions& options);

// The same, over a document already in memory (e.g. fetched over HTTP); `origin` names it in
// messages. Errors: as open_key_file, plus Errc::source when a json or sitemap document does
// not parse.
core::Result<std::unique_ptr<KeySource>>
parse_key_document(std::string document, const std::string& origin, const KeyListOptions& options);

} // namespace cachewarm::sources
