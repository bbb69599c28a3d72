"""A digest of every table of a database: shows that two builds wrote the same data.

Usage: .venv/bin/python bench/digest_tables.py URL [URL2]

Rows are read by primary key; times (also those written in a text) are cut to their day and hashes left out (both depend on the wall
clock). Prints one line per table (row count, sha256 of the rows) and the digest of them all; with a
second URL, the tables whose digests differ.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, select

from records.models import Base

# Hashes over the wall clock's time of day (the trail's entries and head, seals).
LEFT_OUT = {"hash", "prev_hash", "signature", "payload"}


# The time of day of a time written inside a text (a traced state's "executed_at").
_TIME_OF_DAY = re.compile(r"(\d{4}-\d\d-\d\d)[T ]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)?")


def _value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, str):
        return repr(_TIME_OF_DAY.sub(r"\1", value))
    return repr(value)


def digests(url: str) -> dict[str, tuple[int, str]]:
    engine = create_engine(url)
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.c if c.name not in LEFT_OUT]
            order = list(table.primary_key.columns) or columns
            digest = hashlib.sha256()
            count = 0
            for row in connection.execute(select(*columns).order_by(*order)):
                digest.update(repr([_value(v) for v in row]).encode())
                count += 1
            out[table.name] = (count, digest.hexdigest())
    engine.dispose()
    return out


def main() -> None:
    first = digests(sys.argv[1])
    total = hashlib.sha256(repr(sorted(first.items())).encode()).hexdigest()
    for name, (count, digest) in sorted(first.items()):
        print(f"{name:<32} {count:>8} {digest[:16]}")
    print(f"all tables: {total}")
    if len(sys.argv) > 2:
        second = digests(sys.argv[2])
        differ = [name for name in sorted(set(first) | set(second)) if first.get(name) != second.get(name)]
        print("identical" if not differ else f"DIFFER: {', '.join(differ)}")


if __name__ == "__main__":
    main()
