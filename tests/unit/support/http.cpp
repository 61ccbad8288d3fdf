#include "http.hpp"

#include <utility>

namespace cachewarm::test {

sources::HttpOptions
http_options(std::string base_url)
{
  sources::HttpOptions options;
  options.name = "api";
  options.base_url = std::move(base_url);
  options.retries = 0;
  return options;
}

} // namespace cachewarm::test
