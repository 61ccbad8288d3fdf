#pragma once

// Private to src/cli: `cachewarm snapshot` (see cachewarm(1)).

#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdint>
#include <string>

namespace cachewarm::cli {

struct SnapshotArgs {
  std::string manifest;
  std::string target;
  std::string out;
  std::size_t top = 1000;
  std::uint64_t sample = 0; // 0: scan every key
  std::string match;
  bool values = false;
  std::string rate = "20000/s";
  std::string progress = "auto";
};

// Declares `snapshot` and its options on `app`, parsed into `args` (which must outlive `app`).
CLI::App* add_snapshot_command(CLI::App& app, SnapshotArgs& args);

// Takes the snapshot and writes it to args.out; prints a JSON summary on stdout. Returns the exit
// code: 0; 2 usage or manifest error (unknown target); 3 the target is unreachable or failed a
// command; 74 the file or stdout cannot be written; 130 interrupted (`stop`; no file written).
int command_snapshot(const SnapshotArgs& args, const std::atomic<bool>& stop);

} // namespace cachewarm::cli
