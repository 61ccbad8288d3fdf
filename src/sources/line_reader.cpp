#include "key_lists_detail.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace cachewarm::sources::detail {

namespace {

constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";

} // namespace

LineReader::LineReader(std::unique_ptr<std::istream> in, std::string origin)
    : m_in(std::move(in))
    , m_origin(std::move(origin))
    , m_chunk(k_chunk_size)
{}

core::Result<std::optional<Line>>
LineReader::next()
{
  m_line.clear();
  bool too_long = false;
  bool any = false;
  for (;;) {
    if (m_pos == m_end) {
      CW_TRY_ASSIGN(bool filled, fill());
      if (!filled) {
        break;
      }
    }
    any = true;
    const char* begin = m_chunk.data() + m_pos;
    const std::size_t available = m_end - m_pos;
    const void* newline = std::memchr(begin, '\n', available);
    const std::size_t length =
        newline != nullptr ? static_cast<std::size_t>(static_cast<const char*>(newline) - begin)
                           : available;
    const std::size_t room = k_max_line - m_line.size();
    if (length > room) {
      too_long = true;
    }
    m_line.append(begin, std::min(length, room));
    m_pos += length;
    if (newline != nullptr) {
      ++m_pos;
      return Line{m_line, ++m_number, too_long};
    }
  }
  if (!any) {
    return std::nullopt;
  }
  return Line{m_line, ++m_number, too_long};
}

core::Result<bool>
LineReader::fill()
{
  if (m_eof) {
    return false;
  }
  m_in->read(m_chunk.data(), static_cast<std::streamsize>(m_chunk.size()));
  const std::streamsize got = m_in->gcount();
  if (m_in->bad()) {
    m_eof = true;
    return core::fail(core::Errc::source, m_origin + ": read error");
  }
  if (got <= 0) {
    m_eof = true;
    return false;
  }
  m_pos = 0;
  m_end = static_cast<std::size_t>(got);
  if (m_first_chunk) {
    m_first_chunk = false;
    if (std::string_view(m_chunk.data(), m_end).starts_with(k_utf8_bom)) {
      m_pos = k_utf8_bom.size();
    }
  }
  return true;
}

std::string_view
without_cr(std::string_view text)
{
  if (text.ends_with('\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string
too_long_reason()
{
  return "longer than " + std::to_string(k_max_line) + " bytes";
}

} // namespace cachewarm::sources::detail
