#pragma once

#include <tl/expected.hpp>

#include <string>
#include <utility>

namespace cachewarm::core {

// What went wrong, coarse enough to pick an exit code from.
enum class Errc {
  usage,              // bad command line (exit 2)
  manifest,           // bad manifest or unsupported feature (exit 2)
  io,                 // a local file could not be read or written
  source,             // a value source failed as a whole (exit 3)
  target_unreachable, // a target could not be reached after retries (exit 3)
  interrupted,        // SIGINT/SIGTERM (exit 130)
  locked,             // another run holds the manifest's lock (exit 75)
  internal,           // a bug (exit 70)
};

// A failure: its class (which picks the exit code) and a message for a person. Messages are
// lowercase without a trailing period, say where (`m.yaml:12:5: ...`, `target main (...): ...`),
// and never contain a secret (passwords, tokens, header values). Each layer that passes an Error
// up may prefix its own context (with_context).
struct Error {
  Errc code = Errc::internal;
  std::string message;
};

// The result of anything that can fail on input or environment (files, YAML, SQL, HTTP, Redis):
// a T, or the Error saying why not. Only the names std::expected shares are used (and_then,
// transform, or_else, value_or, tl::unexpected), so a move to std::expected stays a rename.
template <class T> using Result = tl::expected<T, Error>;

// Builds the error side of a Result: `return core::fail(Errc::io, "x: cannot open");`.
inline tl::unexpected<Error>
fail(Errc code, std::string message)
{
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

// Returns `error` with `prefix` + ": " put in front of its message (each layer adds its context).
inline Error
with_context(Error error, std::string_view prefix)
{
  error.message = std::string(prefix) + ": " + error.message;
  return error;
}

} // namespace cachewarm::core

// Evaluates `expr` (a Result); returns its error from the enclosing function if it failed.
#define CW_TRY(expr)                                                                               \
  do {                                                                                             \
    auto cw_try_result_ = (expr);                                                                  \
    if (!cw_try_result_) {                                                                         \
      return tl::unexpected<::cachewarm::core::Error>(std::move(cw_try_result_.error()));          \
    }                                                                                              \
  } while (false)

#define CW_CONCAT_INNER_(a, b) a##b
#define CW_CONCAT_(a, b) CW_CONCAT_INNER_(a, b)

// Declares `var` from the value of Result `expr`, or returns its error.
#define CW_TRY_ASSIGN(var, expr) CW_TRY_ASSIGN_IMPL_(CW_CONCAT_(cw_try_, __LINE__), var, expr)
#define CW_TRY_ASSIGN_IMPL_(tmp, var, expr)                                                        \
  auto tmp = (expr);                                                                               \
  if (!tmp) {                                                                                      \
    return tl::unexpected<::cachewarm::core::Error>(std::move(tmp.error()));                       \
  }                                                                                                \
  var = std::move(*tmp)
