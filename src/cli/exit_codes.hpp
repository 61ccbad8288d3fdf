#pragma once

// The process exit codes of every command (cli.hpp's run(), man cachewarm(1) EXIT STATUS).

namespace cachewarm::cli {

constexpr int k_exit_ok = 0;
constexpr int k_exit_keys_failed = 1;
constexpr int k_exit_usage = 2;
constexpr int k_exit_unreachable = 3; // a target, source or log file could not be reached or read
constexpr int k_exit_internal = 70;
constexpr int k_exit_output_lost = 74; // EX_IOERR: the report or other output could not be written
constexpr int k_exit_locked = 75;      // EX_TEMPFAIL: another run of the manifest is in progress
constexpr int k_exit_interrupted = 130;

} // namespace cachewarm::cli
