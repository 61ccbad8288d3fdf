#include "cachewarm/cli/cli.hpp"

int
main(int argc, char** argv)
{
  return cachewarm::cli::run(argc, argv);
}
