#include "cachewarm/sources/postgres_conninfo.hpp"

#include "ascii_detail.hpp"

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cachewarm::sources {

namespace {

constexpr std::string_view k_redacted = "***";

bool
is_uri(std::string_view conninfo)
{
  return detail::starts_with_no_case(conninfo, "postgresql://")
         || detail::starts_with_no_case(conninfo, "postgres://");
}

bool
is_space(char c)
{
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// A part of the conninfo to replace by `replacement` when redacting.
struct Span {
  std::size_t pos = 0;
  std::size_t len = 0;
  std::string replacement;
};

std::string redact(std::string_view conninfo);

// The password parts of a libpq URI: the userinfo password (libpq takes the userinfo up to the
// first '@' before any '/') and `password=` query parameters.
std::vector<Span>
uri_password_spans(std::string_view uri)
{
  std::vector<Span> spans;
  const std::size_t authority = uri.find("://") + 3;
  const std::size_t stop = uri.find_first_of("@/", authority);
  if (stop != std::string_view::npos && uri[stop] == '@') {
    const std::size_t colon = uri.find(':', authority);
    if (colon < stop) {
      spans.push_back(Span{colon + 1, stop - colon - 1, std::string(k_redacted)});
    }
  }
  const std::size_t query = uri.find('?', authority);
  if (query == std::string_view::npos) {
    return spans;
  }
  std::size_t pos = query + 1;
  while (pos <= uri.size()) {
    std::size_t end = uri.find('&', pos);
    if (end == std::string_view::npos) {
      end = uri.size();
    }
    const std::string_view param = uri.substr(pos, end - pos);
    const std::size_t equals = param.find('=');
    if (equals != std::string_view::npos
        && detail::equals_no_case(param.substr(0, equals), "password")) {
      spans.push_back(Span{pos + equals + 1, param.size() - equals - 1, std::string(k_redacted)});
    }
    pos = end + 1;
  }
  return spans;
}

// The password values of a `key = value ...` conninfo (values bare or single-quoted, with
// backslash escapes), plus any dbname that is itself a connection string, redacted in turn.
std::vector<Span>
keyword_password_spans(std::string_view text)
{
  std::vector<Span> spans;
  std::size_t pos = 0;
  const std::size_t size = text.size();
  while (pos < size) {
    while (pos < size && is_space(text[pos])) {
      ++pos;
    }
    const std::size_t key_begin = pos;
    while (pos < size && text[pos] != '=' && !is_space(text[pos])) {
      ++pos;
    }
    const std::string_view key = text.substr(key_begin, pos - key_begin);
    while (pos < size && is_space(text[pos])) {
      ++pos;
    }
    if (pos >= size || text[pos] != '=') {
      continue; // malformed (libpq rejects it); nothing that is a value to hide here
    }
    ++pos;
    while (pos < size && is_space(text[pos])) {
      ++pos;
    }
    const std::size_t value_begin = pos;
    std::string value;
    if (pos < size && text[pos] == '\'') {
      ++pos;
      while (pos < size && text[pos] != '\'') {
        if (text[pos] == '\\' && pos + 1 < size) {
          ++pos;
        }
        value.push_back(text[pos]);
        ++pos;
      }
      if (pos < size) {
        ++pos; // closing quote
      }
    } else {
      while (pos < size && !is_space(text[pos])) {
        if (text[pos] == '\\' && pos + 1 < size) {
          ++pos;
        }
        value.push_back(text[pos]);
        ++pos;
      }
    }
    const std::size_t value_len = pos - value_begin;
    if (detail::equals_no_case(key, "password")) {
      spans.push_back(Span{value_begin, value_len, std::string(k_redacted)});
    } else if (detail::equals_no_case(key, "dbname")
               && (value.find('=') != std::string::npos || is_uri(value))) {
      const std::string inner = redact(value);
      if (inner != value) {
        spans.push_back(Span{value_begin, value_len, "'" + inner + "'"});
      }
    }
  }
  return spans;
}

std::vector<Span>
password_spans(std::string_view conninfo)
{
  return is_uri(conninfo) ? uri_password_spans(conninfo) : keyword_password_spans(conninfo);
}

std::string
redact(std::string_view conninfo)
{
  std::string out;
  out.reserve(conninfo.size());
  std::size_t copied = 0;
  for (const Span& span : password_spans(conninfo)) {
    out.append(conninfo.substr(copied, span.pos - copied));
    out.append(span.replacement);
    copied = span.pos + span.len;
  }
  out.append(conninfo.substr(copied));
  return out;
}

} // namespace

std::string
redact_conninfo(std::string_view conninfo)
{
  return redact(conninfo);
}

std::string
redact_conninfo_in(std::string message, std::string_view conninfo)
{
  if (!conninfo.empty()) {
    const std::string redacted = redact(conninfo);
    for (std::size_t at = message.find(conninfo); at != std::string::npos;
         at = message.find(conninfo, at + redacted.size())) {
      message.replace(at, conninfo.size(), redacted);
    }
  }
  for (const Span& span : password_spans(conninfo)) {
    if (span.len > 0 && message.find(conninfo.substr(span.pos, span.len)) != std::string::npos) {
      return {};
    }
  }
  return message;
}

} // namespace cachewarm::sources
