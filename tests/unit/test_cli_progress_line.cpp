#include "../../src/cli/progress_line.hpp"

#include <doctest/doctest.h>

using cachewarm::cli::progress_text;
using cachewarm::cli::ProgressState;

TEST_SUITE("cli::progress_line")
{
  TEST_CASE("with a known total: bar, counts, percent and rate")
  {
    CHECK(progress_text(ProgressState{1, 3, "products", 250, 1000, 1200.4})
          == "[1/3] products [#####               ] 250/1000 25% 1200 keys/s");
    CHECK(progress_text(ProgressState{3, 3, "g", 1000, 1000, 0.0})
          == "[3/3] g [####################] 1000/1000 100% 0 keys/s");
  }

  TEST_CASE("without a total: keys done and rate")
  {
    CHECK(progress_text(ProgressState{2, 2, "stream", 42, 0, 9.6})
          == "[2/2] stream 42 keys 10 keys/s");
  }

  TEST_CASE("more done than expected does not overflow the bar")
  {
    CHECK(progress_text(ProgressState{1, 1, "g", 30, 20, 1.0})
          == "[1/1] g [####################] 30/20 150% 1 keys/s");
  }
}
