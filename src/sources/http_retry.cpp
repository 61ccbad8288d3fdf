#include "http_retry_detail.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <system_error>
#include <vector>

namespace cachewarm::sources::detail {

namespace {

std::string_view
trim(std::string_view text)
{
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const std::size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

bool
all_digits(std::string_view text)
{
  return !text.empty()
         && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<unsigned>
to_unsigned(std::string_view text)
{
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// 1..12 for an English three-letter month name (any case), else 0.
unsigned
month_number(std::string_view token)
{
  constexpr std::array<std::string_view, 12> k_months = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (token.size() != 3) {
    return 0;
  }
  std::string lower(token);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  for (std::size_t i = 0; i < k_months.size(); ++i) {
    if (lower == k_months[i]) {
      return static_cast<unsigned>(i + 1);
    }
  }
  return 0;
}

// The three HTTP-date forms of RFC 9110 5.6.7 share their parts (a weekday name, day, month
// name, year, hh:mm:ss, "GMT") in different orders and separators; the day always precedes the
// year, so tokens are classified rather than matched against three grammars.
std::optional<std::chrono::system_clock::time_point>
parse_http_date(std::string_view text)
{
  std::vector<unsigned> numbers;
  unsigned month = 0;
  std::optional<std::chrono::seconds> time_of_day;
  std::size_t year_digits = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find_first_of(" ,-", pos);
    const std::string_view token =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (token.empty()) {
      continue;
    }
    if (token.find(':') != std::string_view::npos) {
      if (token.size() != 8 || token[2] != ':' || token[5] != ':') {
        return std::nullopt;
      }
      const std::optional<unsigned> h = to_unsigned(token.substr(0, 2));
      const std::optional<unsigned> m = to_unsigned(token.substr(3, 2));
      const std::optional<unsigned> s = to_unsigned(token.substr(6, 2));
      if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60) {
        return std::nullopt;
      }
      time_of_day = std::chrono::hours(*h) + std::chrono::minutes(*m) + std::chrono::seconds(*s);
    } else if (all_digits(token)) {
      const std::optional<unsigned> number = to_unsigned(token);
      if (!number) {
        return std::nullopt;
      }
      numbers.push_back(*number);
      year_digits = token.size();
    } else if (const unsigned m = month_number(token); m != 0) {
      month = m;
    }
    // Anything else is a weekday name or "GMT".
  }
  if (numbers.size() != 2 || month == 0 || !time_of_day) {
    return std::nullopt;
  }
  unsigned year = numbers[1];
  if (year_digits == 2) {
    // RFC 850's two-digit years: RFC 9110 asks for the nearest century, 70 is the usual pivot.
    year += year < 70 ? 2000 : 1900;
  } else if (year_digits != 4) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(static_cast<int>(year)),
                                         std::chrono::month(month),
                                         std::chrono::day(numbers[0])};
  if (!date.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days(date) + *time_of_day;
}

} // namespace

std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now)
{
  const std::string_view text = trim(value);
  if (all_digits(text)) {
    // More digits than fit are still "a long time": cap rather than reject.
    std::uint64_t seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    const std::uint64_t cap_seconds = static_cast<std::uint64_t>(k_max_retry_after.count()) / 1000;
    if (ec == std::errc::result_out_of_range || seconds > cap_seconds) {
      return k_max_retry_after;
    }
    return std::chrono::seconds(seconds);
  }
  const std::optional<std::chrono::system_clock::time_point> date = parse_http_date(text);
  if (!date) {
    return std::nullopt;
  }
  if (*date <= now) {
    return std::chrono::milliseconds::zero();
  }
  return std::min(k_max_retry_after, std::chrono::ceil<std::chrono::milliseconds>(*date - now));
}

Verdict
classify(CURLcode code, long status, bool too_large)
{
  if (too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return {false, false, "too_large"};
  }
  if (code == CURLE_OK) {
    if (status >= 200 && status < 300) {
      return {true, false, ""};
    }
    if (status == 404) {
      return {false, false, "not_found"};
    }
    return {false, status == 429 || status >= 500, "http_status"};
  }
  switch (code) {
  case CURLE_OPERATION_TIMEDOUT:
    return {false, true, "http_timeout"};
  // Transient: the server or the path to it may recover.
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_AGAIN:
    return {false, true, "http_error"};
  default:
    // Malformed URLs, certificate failures, bad encodings: the same request fails the same way.
    return {false, false, "http_error"};
  }
}

} // namespace cachewarm::sources::detail
