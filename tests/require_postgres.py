"""Fail loudly before the suite starts if the PostgreSQL server the tests need is unreachable.

CI must never pass with the PostgreSQL half of the suite silently missing.
"""

from __future__ import annotations

import os
import sys

import psycopg

URL = os.environ.get("TALLY_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5")

try:
    with psycopg.connect(URL) as connection:
        version = connection.execute("SHOW server_version").fetchone()
except psycopg.OperationalError as exc:
    sys.stderr.write(f"PostgreSQL is unreachable at {URL!r}: {exc}\nThe tests need it; start it and retry.\n")
    sys.exit(1)
print(f"PostgreSQL {version[0] if version else '?'} reachable for the tests")
