#pragma once

#include <cstdio>
#include <cstdlib>

// For programmer errors only, never for user input: prints where and aborts in every build.
#define CW_ASSERT(cond)                                                                            \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      std::fprintf(stderr,                                                                         \
                   "cachewarm: internal error: %s:%d: assertion failed: %s\n",                     \
                   __FILE__,                                                                       \
                   __LINE__,                                                                       \
                   #cond);                                                                         \
      std::abort();                                                                                \
    }                                                                                              \
  } while (false)
