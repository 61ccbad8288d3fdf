#pragma once

namespace cachewarm::cli {

// Runs the command line `argv` and returns the process exit code (see man cachewarm(1)):
// 0 ok, 1 keys failed beyond --fail-under, 2 usage or manifest error (an unknown command or
// option included), 3 target or source unreachable, 70 internal error, 74 the report could not
// be written (stdout or --report; replaces 0 and 1 only), 75 another run holds the manifest's
// lock (EX_TEMPFAIL; the report is still printed), 130 interrupted by SIGINT/SIGTERM.
int run(int argc, char** argv);

} // namespace cachewarm::cli
