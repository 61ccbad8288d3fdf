#pragma once

#include "cachewarm/core/result.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::core {

// How a rendered variable is escaped. Literal text of the template is never escaped.
enum class Escaping {
  none, // copied as is (keys, SQL bound parameters, text values)
  url,  // percent-encoded per RFC 3986 (everything but unreserved characters)
};

// A template bound to a list of field names: variables are resolved to indices once, so rendering
// is a copy loop with no lookups.
class BoundTemplate {
public:
  // Appends the rendering to `out`, with each variable taken from `fields` by index and escaped
  // with `escaping`. Returns false (and leaves `out` partly written) if a variable's field is
  // nullopt (a NULL column).
  bool render_to(std::string& out,
                 std::span<const std::optional<std::string>> fields,
                 Escaping escaping = Escaping::none) const;

  // Same as render_to into a fresh string; nullopt if a referenced field is NULL.
  std::optional<std::string> render(std::span<const std::optional<std::string>> fields,
                                    Escaping escaping = Escaping::none) const;

  // True if the template has no variables (rendering always gives the same text).
  bool is_constant() const { return m_indices.empty(); }

  // The indices into `fields` that rendering reads, in order of appearance (may repeat).
  std::span<const std::size_t> field_indices() const { return m_indices; }

private:
  friend class Template;
  // m_literals.size() == m_indices.size() + 1; output is lit0 var0 lit1 var1 ... litN.
  std::vector<std::string> m_literals;
  std::vector<std::size_t> m_indices;
};

// A text with `{name}` placeholders. `{{` and `}}` stand for literal braces. A Template is a
// compiled value: the manifest parses each template once, when it is loaded, and later stages
// only bind and render it. A default-constructed Template is the empty text (no variables).
class Template {
public:
  // How an error message quotes the offending name (e.g. escaping control characters).
  using QuoteName = std::string (*)(std::string_view name);

  // Parses `text`. Errors (Errc::manifest), message naming the column (1-based) in `text`:
  // "unclosed '{' at column N", "empty variable name at column N", "unmatched '}' at column N",
  // "invalid variable name \"x y\" at column N" (names are [A-Za-z0-9_.-]+). The name in the
  // last one is written by `quote_name`, or put in plain double quotes when it is nullptr.
  static Result<Template> parse(std::string_view text, QuoteName quote_name = nullptr);

  // The variable names in order of appearance, duplicates removed.
  const std::vector<std::string>& variables() const { return m_variables; }

  // The original text, as given to parse (for messages and reports).
  const std::string& text() const { return m_text; }

  // Resolves every variable against `names` (the index in `names` becomes the field index).
  // Error (Errc::manifest): "unknown variable {x} (available: a, b)".
  Result<BoundTemplate> bind(std::span<const std::string> names) const;

private:
  std::string m_text;
  std::vector<std::string> m_literals{std::string()}; // size == m_references.size() + 1
  std::vector<std::string> m_references;              // variable per gap, with duplicates
  std::vector<std::string> m_variables;
};

// Appends `text` to `out` percent-encoded (unreserved A-Z a-z 0-9 - . _ ~ kept).
void append_url_encoded(std::string& out, std::string_view text);

} // namespace cachewarm::core
