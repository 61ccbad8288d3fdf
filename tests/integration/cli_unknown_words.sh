#!/usr/bin/env bash
# An unknown subcommand or option is named, with the nearest known one suggested (exit 2).
source "$(dirname "$0")/lib.sh"

expect_exit 2 cw frobnicate
expect_contains "$(cat "$T/err.txt")" \
  'cachewarm: error: unknown command "frobnicate"; commands: run, plan, cron, validate, predict, evaluate, snapshot, version' \
  "names the unknown command and lists the known ones"
expect_not_contains "$(cat "$T/err.txt")" "A subcommand is required" "no misleading CLI11 message"

expect_exit 2 cw rnu m.yaml
expect_contains "$(cat "$T/err.txt")" 'unknown command "rnu" (did you mean "run"?)' "suggests run"

expect_exit 2 cw prdict --log x.log
expect_contains "$(cat "$T/err.txt")" '(did you mean "predict"?)' "suggests predict"

expect_exit 2 cw valdate m.yaml
expect_contains "$(cat "$T/err.txt")" '(did you mean "validate"?)' "suggests validate"

expect_exit 2 cw run m.yaml --dryrun
expect_contains "$(cat "$T/err.txt")" \
  'unknown option --dryrun for "run" (did you mean "--dry-run"?)' \
  "names the unknown option and suggests the nearest"

expect_exit 2 cw plan m.yaml --jsn --at=2026-01-01T00:00:00Z
expect_contains "$(cat "$T/err.txt")" 'unknown option --jsn for "plan" (did you mean "--json"?)' \
  "options of the chosen subcommand are the candidates"

expect_exit 2 cw run m.yaml --completely-different
expect_contains "$(cat "$T/err.txt")" 'unknown option --completely-different for "run"' "named"
expect_not_contains "$(cat "$T/err.txt")" "did you mean" "no far-fetched suggestion"

# Known words keep working as before.
expect_exit 0 cw version
expect_exit 2 cw run
expect_contains "$(cat "$T/err.txt")" "manifest is required" "a missing argument keeps CLI11's message"
