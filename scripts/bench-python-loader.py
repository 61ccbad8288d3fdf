#!/usr/bin/env python3
"""bench-python-loader.py: the Python warm-up script a user would write without cachewarm, used as
a contender by scripts/bench. Reads `SELECT id, payload FROM items` from a SQLite file and writes
`SET item:<id> <payload> EX <ttl>` to Redis with redis-py pipelines (transaction=False), executing
one pipeline per BATCH rows.

Usage: bench-python-loader.py --db DB --port PORT [--host 127.0.0.1] [--batch 1000] [--ttl 3600]

Needs redis-py (Debian: python3-redis). Prints the number of keys written on stderr.
"""
import argparse
import sqlite3
import sys

import redis


def main() -> int:
    parser = argparse.ArgumentParser(description="Warm Redis from SQLite with redis-py.")
    parser.add_argument("--db", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6379)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--ttl", type=int, default=3600)
    args = parser.parse_args()

    r = redis.Redis(host=args.host, port=args.port)
    pipe = r.pipeline(transaction=False)
    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    cur = conn.execute("SELECT id, payload FROM items")
    written = 0
    while True:
        rows = cur.fetchmany(args.batch)
        if not rows:
            break
        for row_id, payload in rows:
            pipe.set(f"item:{row_id}", payload, ex=args.ttl)
        pipe.execute()  # raises on the first error reply
        written += len(rows)
    print(f"bench-python-loader: wrote {written} keys", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
