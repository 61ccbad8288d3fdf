#include "key_lists_detail.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace cachewarm::sources::detail {

namespace {

bool
is_xml_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view
trim_xml_space(std::string_view text)
{
  while (!text.empty() && is_xml_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_xml_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

void
append_utf8(std::string& out, std::uint32_t code)
{
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// The code point of a numeric character reference's digits ("65" or "x41"), or nullopt.
std::optional<std::uint32_t>
character_reference(std::string_view digits)
{
  int base = 10;
  if (!digits.empty() && digits.front() == 'x') {
    base = 16;
    digits.remove_prefix(1);
  }
  if (digits.empty() || digits.size() > 8) {
    return std::nullopt;
  }
  std::uint32_t code = 0;
  for (const char c : digits) {
    std::uint32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint32_t>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      digit = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    code = code * static_cast<std::uint32_t>(base) + digit;
  }
  if (code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return std::nullopt;
  }
  return code;
}

// Appends XML character data with its entities decoded; returns the reason if one is invalid.
std::string
append_xml_text(std::string& out, std::string_view text)
{
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t amp = text.find('&', i);
    out.append(text.substr(i, amp - i));
    if (amp == std::string_view::npos) {
      break;
    }
    const std::size_t semicolon = text.find(';', amp);
    if (semicolon == std::string_view::npos) {
      return "'&' without ';'";
    }
    const std::string_view name = text.substr(amp + 1, semicolon - amp - 1);
    if (name == "amp") {
      out += '&';
    } else if (name == "lt") {
      out += '<';
    } else if (name == "gt") {
      out += '>';
    } else if (name == "quot") {
      out += '"';
    } else if (name == "apos") {
      out += '\'';
    } else if (name.starts_with('#')) {
      const std::optional<std::uint32_t> code = character_reference(name.substr(1));
      if (!code) {
        return "invalid character reference &" + std::string(name) + ";";
      }
      append_utf8(out, *code);
    } else {
      return "unknown entity &" + std::string(name) + ";";
    }
    i = semicolon + 1;
  }
  return {};
}

// True if `document` has the tag name `name` at `pos` (just after '<'), ended by '>', '/' or
// space: so "<loc>" matches "loc" but "<location>" and "<image:loc>" do not.
bool
tag_at(std::string_view document, std::size_t pos, std::string_view name)
{
  if (document.substr(pos, name.size()) != name || pos + name.size() >= document.size()) {
    return false;
  }
  const char next = document[pos + name.size()];
  return next == '>' || next == '/' || is_xml_space(next);
}

// Where and why a sitemap is malformed.
struct Malformed {
  std::size_t pos = 0;
  std::string what;
};

// The content of one <loc>.
struct LocText {
  std::string url;     // character data with entities decoded, CDATA sections taken raw
  std::string error;   // the first invalid entity or character reference, if any
  std::size_t end = 0; // just past the </loc>
};

// Reads the text of the <loc> at `loc` whose start tag ends at `tag_end`, up to its </loc>.
// Malformed (at `loc`, or at an unterminated CDATA section) when no </loc> closes it.
tl::expected<LocText, Malformed>
read_loc_text(std::string_view document, std::size_t loc, std::size_t tag_end)
{
  LocText text;
  std::size_t at = tag_end + 1;
  for (;;) {
    const std::size_t open = document.find('<', at);
    if (open == std::string_view::npos) {
      return tl::unexpected(Malformed{loc, "unterminated <loc>"});
    }
    if (text.error.empty()) {
      text.error = append_xml_text(text.url, document.substr(at, open - at));
    }
    const std::string_view tag = document.substr(open);
    if (tag.starts_with("<![CDATA[")) {
      const std::size_t end = document.find("]]>", open + 9);
      if (end == std::string_view::npos) {
        return tl::unexpected(Malformed{open, "unterminated cdata section"});
      }
      text.url.append(document.substr(open + 9, end - open - 9));
      at = end + 3;
      continue;
    }
    if (!tag.starts_with("</loc")) {
      return tl::unexpected(Malformed{loc, "unterminated <loc>"});
    }
    const std::size_t close = document.find('>', open);
    if (close == std::string_view::npos
        || trim_xml_space(document.substr(open + 5, close - open - 5)).size() != 0) {
      return tl::unexpected(Malformed{loc, "unterminated <loc>"});
    }
    text.end = close + 1;
    return text;
  }
}

} // namespace

// The path and query of `url` ("https://h/a/b?q#f" -> "/a/b?q"); "/" when it has none.
std::string
url_path(std::string_view url)
{
  const std::size_t scheme = url.find("://");
  if (scheme != std::string_view::npos
      && url.substr(0, scheme).find_first_of("/?#") == std::string_view::npos) {
    const std::size_t start = url.find_first_of("/?#", scheme + 3);
    url = start == std::string_view::npos ? std::string_view() : url.substr(start);
  }
  url = url.substr(0, url.find('#'));
  if (url.empty() || url.front() != '/') {
    return "/" + std::string(url);
  }
  return std::string(url);
}

// Every <loc> of a sitemap or sitemap index, in document order, with the line it starts on.
// Comments and CDATA sections outside <loc> are skipped; CDATA inside <loc> is taken raw.
core::Result<std::unique_ptr<KeySource>>
parse_sitemap(std::string_view document, const std::string& origin, const KeyListOptions& options)
{
  std::vector<std::string> fields = {"url", "path"};
  CW_TRY_ASSIGN(KeyMaker key, make_key_maker(options, fields, 0));
  KeyItems items;
  std::uint64_t line = 1;
  std::size_t counted = 0; // newlines are counted up to here
  const auto line_at = [&](std::size_t pos) {
    line += static_cast<std::uint64_t>(
        std::count(document.begin() + static_cast<std::ptrdiff_t>(counted),
                   document.begin() + static_cast<std::ptrdiff_t>(pos),
                   '\n'));
    counted = pos;
    return line;
  };
  const auto malformed = [&](std::size_t pos, const std::string& what) {
    return core::fail(core::Errc::source,
                      origin + ": line " + std::to_string(line_at(pos)) + ": " + what);
  };
  std::size_t pos = 0;
  while ((pos = document.find('<', pos)) != std::string_view::npos) {
    const std::string_view rest = document.substr(pos);
    if (rest.starts_with("<!--")) {
      const std::size_t end = document.find("-->", pos + 4);
      if (end == std::string_view::npos) {
        return malformed(pos, "unterminated comment");
      }
      pos = end + 3;
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      const std::size_t end = document.find("]]>", pos + 9);
      if (end == std::string_view::npos) {
        return malformed(pos, "unterminated cdata section");
      }
      pos = end + 3;
      continue;
    }
    if (!tag_at(document, pos + 1, "loc")) {
      ++pos;
      continue;
    }
    const std::uint64_t loc_line = line_at(pos);
    const std::size_t tag_end = document.find('>', pos);
    if (tag_end == std::string_view::npos) {
      return malformed(pos, "unterminated <loc>");
    }
    std::string url;
    std::string error;
    if (document[tag_end - 1] == '/') {
      error = "empty <loc/>";
      pos = tag_end + 1;
    } else {
      tl::expected<LocText, Malformed> text = read_loc_text(document, pos, tag_end);
      if (!text) {
        return malformed(text.error().pos, text.error().what);
      }
      url = std::move(text->url);
      error = std::move(text->error);
      pos = text->end;
    }
    if (!error.empty()) {
      items.emplace_back(bad_row("line", loc_line, error));
      continue;
    }
    const std::string_view trimmed = trim_xml_space(url);
    core::Row row;
    row.fields.emplace_back(std::string(trimmed));
    row.fields.emplace_back(url_path(trimmed));
    add_item(items, key, std::move(row), "line", loc_line);
  }
  return make_buffered_keys(std::move(fields), std::move(items));
}

} // namespace cachewarm::sources::detail
