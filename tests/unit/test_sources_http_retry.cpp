#include "../../src/sources/http_retry_detail.hpp"

#include <curl/curl.h>
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string_view>

using cachewarm::sources::detail::classify;
using cachewarm::sources::detail::parse_retry_after;
using cachewarm::sources::detail::Verdict;
using namespace std::chrono_literals;

namespace {

// 1994-11-06 08:49:00 UTC, 37 s before the RFC's example date.
std::chrono::system_clock::time_point
rfc_now()
{
  using namespace std::chrono;
  return sys_days(year(1994) / November / 6) + 8h + 49min;
}

std::optional<long long>
retry_after_ms(std::string_view value)
{
  const std::optional<std::chrono::milliseconds> delay = parse_retry_after(value, rfc_now());
  if (!delay) {
    return std::nullopt;
  }
  return delay->count();
}

} // namespace

TEST_SUITE("sources::http_retry")
{
  TEST_CASE("Retry-After in delta-seconds is honoured up to 60 s")
  {
    CHECK(retry_after_ms("1") == 1000);
    CHECK(retry_after_ms("0") == 0);
    CHECK(retry_after_ms(" 42 ") == 42000);
    CHECK(retry_after_ms("60") == 60000);
    CHECK(retry_after_ms("61") == 60000);
    CHECK(retry_after_ms("99999999999999999999999999") == 60000);
  }

  TEST_CASE("Retry-After accepts the three HTTP-date forms")
  {
    CHECK(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT") == 37000);  // IMF-fixdate
    CHECK(retry_after_ms("Sunday, 06-Nov-94 08:49:37 GMT") == 37000); // RFC 850
    CHECK(retry_after_ms("Sun Nov  6 08:49:37 1994") == 37000);       // asctime
    CHECK(retry_after_ms("sun, 06 nov 1994 08:49:37 gmt") == 37000);
  }

  TEST_CASE("Retry-After dates in the past mean now, far ones are capped")
  {
    CHECK(retry_after_ms("Sun, 06 Nov 1994 08:00:00 GMT") == 0);
    CHECK(retry_after_ms("Sun, 06 Nov 1994 08:49:00 GMT") == 0);
    CHECK(retry_after_ms("Mon, 07 Nov 1994 08:49:37 GMT") == 60000);
  }

  TEST_CASE("Retry-After that is neither form is ignored")
  {
    CHECK(retry_after_ms("") == std::nullopt);
    CHECK(retry_after_ms("-1") == std::nullopt);
    CHECK(retry_after_ms("1.5") == std::nullopt);
    CHECK(retry_after_ms("soon") == std::nullopt);
    CHECK(retry_after_ms("Tue, 31 Feb 1994 08:49:37 GMT") == std::nullopt);
    CHECK(retry_after_ms("Sun, 06 Nov 1994 25:49:37 GMT") == std::nullopt);
    CHECK(retry_after_ms("Sun, 06 Foo 1994 08:49:37 GMT") == std::nullopt);
    CHECK(retry_after_ms("Sun, 06 Nov 08:49:37 GMT") == std::nullopt);
  }

  TEST_CASE("2xx responses succeed")
  {
    CHECK(classify(CURLE_OK, 200, false).ok);
    CHECK(classify(CURLE_OK, 204, false).ok);
    CHECK_FALSE(classify(CURLE_OK, 301, false).ok);
  }

  TEST_CASE("404 is not_found and is not retried")
  {
    const Verdict verdict = classify(CURLE_OK, 404, false);
    CHECK_FALSE(verdict.ok);
    CHECK_FALSE(verdict.retryable);
    CHECK(verdict.kind == "not_found");
  }

  TEST_CASE("429 and 5xx are retried as http_status, other statuses are not")
  {
    for (const long status : {429L, 500L, 502L, 503L, 504L}) {
      const Verdict verdict = classify(CURLE_OK, status, false);
      CHECK(verdict.retryable);
      CHECK(verdict.kind == "http_status");
    }
    for (const long status : {301L, 400L, 401L, 403L, 410L}) {
      const Verdict verdict = classify(CURLE_OK, status, false);
      CHECK_FALSE(verdict.retryable);
      CHECK(verdict.kind == "http_status");
    }
  }

  TEST_CASE("timeouts and connection errors are retried")
  {
    const Verdict timeout = classify(CURLE_OPERATION_TIMEDOUT, 0, false);
    CHECK(timeout.retryable);
    CHECK(timeout.kind == "http_timeout");
    for (const CURLcode code :
         {CURLE_COULDNT_CONNECT, CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR}) {
      const Verdict verdict = classify(code, 0, false);
      CHECK(verdict.retryable);
      CHECK(verdict.kind == "http_error");
    }
  }

  TEST_CASE("errors that would repeat are not retried")
  {
    for (const CURLcode code :
         {CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_PEER_FAILED_VERIFICATION}) {
      const Verdict verdict = classify(code, 0, false);
      CHECK_FALSE(verdict.retryable);
      CHECK(verdict.kind == "http_error");
    }
  }

  TEST_CASE("an oversized body is too_large, whether cut off or refused by Content-Length")
  {
    for (const Verdict& verdict :
         {classify(CURLE_WRITE_ERROR, 200, true), classify(CURLE_FILESIZE_EXCEEDED, 200, false)}) {
      CHECK_FALSE(verdict.ok);
      CHECK_FALSE(verdict.retryable);
      CHECK(verdict.kind == "too_large");
    }
  }
}
