#include "cachewarm/core/template.hpp"

#include "cachewarm/core/assert.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace cachewarm::core {

namespace {

// A byte that may appear in a variable name: [A-Za-z0-9_.-].
bool
is_name_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
         || c == '.' || c == '-';
}

// Unreserved characters of RFC 3986 section 2.3, as a table so encoding is one lookup a byte.
constexpr std::array<bool, 256>
make_unreserved_table()
{
  std::array<bool, 256> table{};
  for (std::size_t c = 0; c < table.size(); ++c) {
    table[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
               || c == '-' || c == '.' || c == '_' || c == '~';
  }
  return table;
}

constexpr std::array<bool, 256> k_unreserved = make_unreserved_table();
constexpr std::string_view k_hex_digits = "0123456789ABCDEF";

std::string
column_suffix(std::size_t position)
{
  return " at column " + std::to_string(position + 1);
}

} // namespace

void
append_url_encoded(std::string& out, std::string_view text)
{
  // Unreserved runs are appended in one go: keys are mostly plain ASCII.
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (k_unreserved[byte]) {
      continue;
    }
    out.append(text.substr(run_start, i - run_start));
    const std::array<char, 3> encoded = {'%', k_hex_digits[byte >> 4U], k_hex_digits[byte & 0x0FU]};
    out.append(encoded.data(), encoded.size());
    run_start = i + 1;
  }
  out.append(text.substr(run_start));
}

bool
BoundTemplate::render_to(std::string& out,
                         std::span<const std::optional<std::string>> fields,
                         Escaping escaping) const
{
  CW_ASSERT(m_literals.size() == m_indices.size() + 1);
  for (std::size_t i = 0; i < m_indices.size(); ++i) {
    out.append(m_literals[i]);
    // The index came from bind(): a shorter row is a bug in the caller, not bad input.
    CW_ASSERT(m_indices[i] < fields.size());
    const std::optional<std::string>& field = fields[m_indices[i]];
    if (!field) {
      return false;
    }
    if (escaping == Escaping::url) {
      append_url_encoded(out, *field);
    } else {
      out.append(*field);
    }
  }
  out.append(m_literals.back());
  return true;
}

std::optional<std::string>
BoundTemplate::render(std::span<const std::optional<std::string>> fields, Escaping escaping) const
{
  // Reserve the unescaped size so the common case allocates once.
  std::size_t size = 0;
  for (const std::string& literal : m_literals) {
    size += literal.size();
  }
  for (const std::size_t index : m_indices) {
    if (index < fields.size() && fields[index]) {
      size += fields[index]->size();
    }
  }
  std::string out;
  out.reserve(size);
  if (!render_to(out, fields, escaping)) {
    return std::nullopt;
  }
  return out;
}

Result<Template>
Template::parse(std::string_view text, QuoteName quote_name)
{
  Template result;
  result.m_text = std::string(text);
  result.m_literals.clear();
  std::string literal;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal.push_back('}');
        i += 2;
        continue;
      }
      return fail(Errc::manifest, "unmatched '}'" + column_suffix(i));
    }
    if (c != '{') {
      literal.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal.push_back('{');
      i += 2;
      continue;
    }
    const std::size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      return fail(Errc::manifest, "unclosed '{'" + column_suffix(i));
    }
    const std::string_view name = text.substr(i + 1, close - i - 1);
    if (name.empty()) {
      return fail(Errc::manifest, "empty variable name" + column_suffix(i));
    }
    if (!std::all_of(name.begin(), name.end(), is_name_char)) {
      const std::string quoted =
          quote_name != nullptr ? quote_name(name) : "\"" + std::string(name) + "\"";
      return fail(Errc::manifest, "invalid variable name " + quoted + column_suffix(i));
    }
    result.m_literals.push_back(std::move(literal));
    literal.clear();
    result.m_references.emplace_back(name);
    if (std::find(result.m_variables.begin(), result.m_variables.end(), name)
        == result.m_variables.end()) {
      result.m_variables.emplace_back(name);
    }
    i = close + 1;
  }
  result.m_literals.push_back(std::move(literal));
  return result;
}

Result<BoundTemplate>
Template::bind(std::span<const std::string> names) const
{
  BoundTemplate bound;
  bound.m_literals = m_literals;
  bound.m_indices.reserve(m_references.size());
  for (const std::string& reference : m_references) {
    // The first of duplicate names wins, so a row's leading fields take precedence.
    const auto found = std::find(names.begin(), names.end(), reference);
    if (found == names.end()) {
      std::string available;
      for (const std::string& name : names) {
        if (!available.empty()) {
          available += ", ";
        }
        available += name;
      }
      if (names.empty()) {
        available = "none";
      }
      std::string message = "unknown variable {";
      message.append(reference).append("} (available: ").append(available).append(")");
      return fail(Errc::manifest, std::move(message));
    }
    bound.m_indices.push_back(static_cast<std::size_t>(found - names.begin()));
  }
  return bound;
}

} // namespace cachewarm::core
