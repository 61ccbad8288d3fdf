#!/usr/bin/env python3
"""bench-resp.py: writes the RESP commands `SET item:<id> <payload> EX 3600` for every row of
`SELECT id, payload FROM items` of a SQLite file, for `redis-cli --pipe` (scripts/bench).

Usage: bench-resp.py DB OUT [TTL_SECONDS]

Only the standard library is used. Values are written byte for byte as SQLite stores the TEXT
(UTF-8), so they are identical to what cachewarm and bench-python-loader.py read. Prints the
number of commands written on stdout.
"""
import sqlite3
import sys


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    db, out = sys.argv[1], sys.argv[2]
    ttl = (sys.argv[3] if len(sys.argv) == 4 else "3600").encode()
    tail = b"$2\r\nEX\r\n$%d\r\n%s\r\n" % (len(ttl), ttl)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.text_factory = bytes  # keep the stored bytes as they are
    count = 0
    with open(out, "wb", buffering=1 << 20) as f:
        cur = conn.execute("SELECT id, payload FROM items")
        while rows := cur.fetchmany(10000):
            parts = []
            for row_id, payload in rows:
                key = b"item:%d" % row_id
                parts.append(b"*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n%s"
                             % (len(key), key, len(payload), payload, tail))
            f.write(b"".join(parts))
            count += len(rows)
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
