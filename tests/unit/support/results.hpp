#pragma once

// Checks on core::Result for unit tests: a value that must be there, an error that must be.

#include "cachewarm/core/result.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>

namespace cachewarm::test {

// The value of `result`; fails the test case, showing the error's message, if it is an error.
template <class T> T require_ok(core::Result<T> result);

// The message of the error `result` must hold; fails the test case if it holds a value, and
// checks that the error's code is `code`.
template <class T> std::string error_message(const core::Result<T>& result, core::Errc code);

// --- Inline implementations ---

template <class T>
T
require_ok(core::Result<T> result)
{
  REQUIRE_MESSAGE(result.has_value(), (result ? std::string() : result.error().message));
  return std::move(*result);
}

template <class T>
std::string
error_message(const core::Result<T>& result, core::Errc code)
{
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == code);
  return result.error().message;
}

} // namespace cachewarm::test
