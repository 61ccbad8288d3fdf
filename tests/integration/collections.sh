#!/usr/bin/env bash
# Sets, sorted sets and lists from grouped SQL rows: each key is built from the run of rows that
# share it, replaces what was there whole (stale members gone), gets its TTL, and a 2,500-member
# key (more than one 1000-argument chunk) lands complete. only_missing leaves existing ones be.
source "$(dirname "$0")/lib.sh"

start_redis
make_db "$T/game.db" <<'SQL'
CREATE TABLE scores (board TEXT, player TEXT, points REAL);
INSERT INTO scores VALUES ('daily', 'ada', 120), ('daily', 'bob', 95.5), ('daily', 'cy', 130),
                          ('weekly', 'ada', 900), ('weekly', 'dee', 'lots'), ('bad', 'eve', 'x');
CREATE TABLE tags (product INTEGER, tag TEXT);
INSERT INTO tags VALUES (1, 'red'), (1, 'sale'), (1, 'red'), (2, 'blue');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
INSERT INTO tags SELECT 3, 'tag-' || i FROM n;
CREATE TABLE events (feed TEXT, seq INTEGER, body TEXT);
INSERT INTO events VALUES ('home', 1, 'first'), ('home', 2, 'second'), ('home', 3, 'third'),
                          ('news', 1, 'only');
SQL

# Stale data a reader must never see merged with the new value.
rcli zadd leaderboard:daily 1 stale-player >/dev/null
rcli sadd tags:1 old-tag >/dev/null
rcli rpush feed:home old-item >/dev/null

cat >"$T/m.yaml" <<EOF
version: 1
targets:
  main: {url: "$(redis_url)"}
sources:
  db: {sqlite: "$T/game.db"}
defaults: {ttl: 30m}
groups:
  - name: leaderboards
    query: {source: db, sql: "SELECT board, player, points FROM scores ORDER BY board"}
    key: "leaderboard:{board}"
    value: {zset: {member: player, score: points}}
  - name: tags
    query: {source: db, sql: "SELECT product, tag FROM tags ORDER BY product"}
    key: "tags:{product}"
    value: {set: tag}
    batch: 100
  - name: feeds
    query: {source: db, sql: "SELECT feed, body FROM events ORDER BY feed, seq"}
    key: "feed:{feed}"
    value: {list: body}
EOF

expect_exit 1 cw run "$T/m.yaml"
r=$T/out.json

expect_eq "$(rcli zrange leaderboard:daily 0 -1 withscores | paste -sd ' ')" \
  "bob 95.5 ada 120 cy 130" "daily leaderboard replaced whole, scores from the rows"
# A score that is not a number fails the whole key rather than landing half a board.
expect_eq "$(rcli exists leaderboard:weekly)" 0 "a board with a bad score is not written"
expect_eq "$(rcli exists leaderboard:bad)" 0 "a board with only bad scores is not written"
expect_eq "$(rcli smembers tags:1 | LC_ALL=C sort | paste -sd ' ')" "red sale" \
  "set members, deduplicated, stale one gone"
expect_eq "$(rcli scard tags:3)" 2500 "a 2,500-member set spanning batches and argument chunks"
expect_eq "$(rcli lrange feed:home 0 -1 | paste -sd ' ')" "first second third" \
  "list in row order, stale item gone"
expect_eq "$(rcli lrange feed:news 0 -1)" "only" "one-item list"
ttl=$(rcli ttl tags:3)
expect_ge "$ttl" 1790 "TTL of a set"
expect_le "$ttl" 1800 "TTL of a set"

expect_json "$r" '.groups[] | select(.name == "leaderboards") | .written' 1
expect_json "$r" '.groups[] | select(.name == "leaderboards") | .failed' 2
expect_json "$r" '[.groups[] | select(.name == "leaderboards") | .errors[].kind] | join(",")' \
  "invalid_score"
expect_json "$r" '.groups[] | select(.name == "tags") | .written' 3
expect_json "$r" '.groups[] | select(.name == "feeds") | .written' 2
expect_eq "$(dbsize)" "$(jq '.totals.written' "$r")" "DBSIZE equals the report's written"
expect_report_invariant "$r"

# only_missing: an existing collection is left untouched and counted as skipped.
sed -i 's/    batch: 100/    batch: 100\n    only_missing: true/' "$T/m.yaml"
rcli del tags:2 >/dev/null
rcli sadd tags:1 keep-me >/dev/null
expect_exit 0 cw run "$T/m.yaml" -g tags
expect_eq "$(rcli sismember tags:1 keep-me)" 1 "only_missing left the existing set untouched"
expect_eq "$(rcli smembers tags:2)" blue "only_missing wrote the missing set"
expect_json "$T/out.json" .totals.skipped 2
expect_json "$T/out.json" .totals.written 1
