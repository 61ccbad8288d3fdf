#pragma once

// Key rules for access logs (`cachewarm predict --rules FILE`): a YAML list of
// `{match: REGEX, key: TEMPLATE, field: TEMPLATE}` mappings, tried in order.

#include "cachewarm/manifest/diagnostic.hpp"
#include "cachewarm/manifest/manifest.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::manifest {

struct KeyRulesLoad {
  std::optional<std::vector<AccessLogRule>> rules; // set exactly when diagnostics is empty
  std::vector<Diagnostic> diagnostics;
};

// Parses the rules in `text`, reporting problems against `file_name` (`rules[2].key: expected a
// non-empty string, got nothing`, unknown fields with a suggestion, an empty list). Whether a
// regex or template is valid is the log reader's to say.
KeyRulesLoad parse_key_rules(std::string_view text, std::string_view file_name);

// Reads `path` and calls parse_key_rules. An unreadable file is one diagnostic at 0:0.
KeyRulesLoad load_key_rules(std::string_view path);

} // namespace cachewarm::manifest
