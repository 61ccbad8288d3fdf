#pragma once

#include <memory>

namespace cachewarm::core {

// Frees a C library's object with that library's function (SSL_free, freeReplyObject, ...).
template <auto Free> struct FreeWith {
  template <typename T> void operator()(T* object) const { Free(object); }
};

// Sole ownership of a C library's object, released with `Free`: CPtr<SSL, SSL_free>.
template <typename T, auto Free> using CPtr = std::unique_ptr<T, FreeWith<Free>>;

} // namespace cachewarm::core
