#pragma once

// Helpers for the unit tests of the HTTP parts (tests/unit/test_sources_http*.cpp).

#include "cachewarm/sources/http.hpp"

#include <string>

namespace cachewarm::test {

// HttpOptions for a source named "api" at `base_url`, without retries.
sources::HttpOptions http_options(std::string base_url);

} // namespace cachewarm::test
