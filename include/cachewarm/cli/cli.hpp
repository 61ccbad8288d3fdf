#pragma once

namespace cachewarm::cli {

// Runs the command line `argv` and returns the process exit code (see man cachewarm(1)):
// 0 ok, 1 keys failed beyond --fail-under, 2 usage or manifest error, 3 target or source
// unreachable, 70 internal error, 130 interrupted.
int run(int argc, char** argv);

} // namespace cachewarm::cli
