#pragma once

// Snapshot files (`cachewarm snapshot`): the hottest keys of a live Redis as JSON Lines, read
// back by `keys_from: {snapshot: FILE}`.
//
// Line 1 is a header object ({"cachewarm_snapshot": 1, "target": ..., "taken_at_ms": ...,
// "ranked_by": "lfu_freq" | "idle_time", ...}); every later line is one key, hottest first:
// {"key": K, "freq": N | "idle_s": N, "ttl_ms": N (-1: no expiry), "dump": BASE64 (with
// --values)}. A key that is not valid UTF-8 is written as "key_base64".

#include "cachewarm/core/result.hpp"
#include "cachewarm/sources/source.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cachewarm::sources {

struct SnapshotHeader {
  std::string target;           // the manifest's name of the target
  std::string server;           // its URL, password redacted
  std::int64_t taken_at_ms = 0; // Unix time in ms when the key pass ended
  std::string ranked_by;        // "lfu_freq" (OBJECT FREQ, higher is hotter) or "idle_time"
  std::string maxmemory_policy;
  std::uint64_t keys_in_db = 0; // DBSIZE (summed over a cluster's masters) when the scan began
  std::uint64_t examined = 0;   // keys the scan looked at
  bool sampled = false;         // the scan stopped at --sample before the end
  std::string match;            // the SCAN MATCH pattern; empty: every key
  bool values = false;          // the key lines carry DUMP payloads
};

struct SnapshotKey {
  std::string key;
  std::int64_t score = 0;          // OBJECT FREQ, or OBJECT IDLETIME in seconds
  std::int64_t ttl_ms = -1;        // PTTL when read; -1: no expiry
  std::optional<std::string> dump; // DUMP payload (binary), with --values
};

// The header line, with its '\n'. `taken_at` is also written as ISO 8601 UTC for people.
std::string snapshot_header_line(const SnapshotHeader& header);

// A key line, with its '\n' ("freq" or "idle_s" after `ranked_by`).
std::string snapshot_key_line(const SnapshotKey& key, std::string_view ranked_by);

// Parses line 1. Errors (Errc::source, no location): "not a cachewarm snapshot (...)".
core::Result<SnapshotHeader> parse_snapshot_header(std::string_view line);

// Parses a key line of a snapshot ranked by `ranked_by`. Errors (Errc::source, no location):
// what is wrong ("not a JSON object", "no \"key\"", "\"dump\" is not base64", ...).
core::Result<SnapshotKey> parse_snapshot_key(std::string_view line, std::string_view ranked_by);

struct SnapshotKeysOptions {
  // Restore: each row carries the key's DUMP payload and its TTL left now (now_ms); keys whose
  // TTL has run out since the snapshot are dropped (not rows at all). Needs a snapshot taken
  // with values.
  bool restore = false;
  std::int64_t now_ms = 0;
};

// The keys of the snapshot file at `path`, hottest first, as rows with the fields "score",
// "ttl_ms" and "dump" (the dump only when restoring, else NULL). Streams the file: memory stays
// bounded by one line. The header is read here.
// Errors: Errc::source naming the path: it cannot be opened, line 1 is not a snapshot header
// ("PATH:1: not a cachewarm snapshot ..."), or `restore` and the snapshot has no values ("PATH:
// taken without --values"); next() fails with "PATH:LINE: ..." on a bad key line.
core::Result<std::unique_ptr<KeySource>> open_snapshot_keys(const std::string& path,
                                                            const SnapshotKeysOptions& options);

// Value = the row's "dump" field as a RESTORE payload with the row's "ttl_ms" (-1 or 0: no
// expiry), for rows of open_snapshot_keys(restore). Errors (Errc::manifest): the fields lack
// "dump" or "ttl_ms" (not a snapshot source).
core::Result<std::unique_ptr<ValueResolver>>
make_restore_value(std::span<const std::string> fields);

} // namespace cachewarm::sources
