#include "cachewarm/cli/cli.hpp"

#include <cstdio>

namespace cachewarm::cli {

int
run(int /*argc*/, char** /*argv*/)
{
  std::fputs("cachewarm: under construction\n", stderr);
  return 70;
}

} // namespace cachewarm::cli
