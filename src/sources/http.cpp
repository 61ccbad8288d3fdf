#include "cachewarm/sources/http.hpp"

#include "http_client_detail.hpp"

#include <curl/curl.h>

#include <mutex>
#include <optional>
#include <utility>

namespace cachewarm::sources {

void
http_global_init()
{
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void
http_global_cleanup()
{
  curl_global_cleanup();
}

core::Result<std::string>
http_fetch(const HttpOptions& options, std::string_view path)
{
  CW_TRY_ASSIGN(std::unique_ptr<detail::HttpClient> client, detail::HttpClient::create(options));
  const detail::Request request{detail::join_url(options.base_url, path), std::string(path)};
  std::optional<detail::Response> result;
  CW_TRY(
      client->run(std::span<const detail::Request>(&request, 1),
                  [&](std::size_t, detail::Response&& response) { result = std::move(response); }));
  if (!result || !result->verdict.ok) {
    return core::fail(core::Errc::source,
                      result
                          ? detail::describe(options, request, *result)
                          : "http " + options.name + " GET " + std::string(path) + ": no response");
  }
  return std::move(result->body);
}

} // namespace cachewarm::sources
