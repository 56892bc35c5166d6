"""Create the database named by DATABASE_URL if it does not exist yet (idempotent).

Connects to the server's `postgres` maintenance database with the same credentials; the role
needs CREATEDB. Used by deploy/serve.sh before `migrate`.
"""

from __future__ import annotations

import os
import sys

import psycopg
from psycopg import sql

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from clarioscope.env import database_from_url


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        print("createdb: DATABASE_URL is not set", file=sys.stderr)
        return 2
    db = database_from_url(url)
    params = {
        key: value
        for key, value in (
            ("host", db["HOST"]),
            ("port", db["PORT"]),
            ("user", db["USER"]),
            ("password", db["PASSWORD"]),
        )
        if value
    }
    conninfo = psycopg.conninfo.make_conninfo(dbname="postgres", connect_timeout=5, **params)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
        ).fetchone()
        if exists:
            print(f"createdb: database {db['NAME']!r} exists")
            return 0
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        print(f"createdb: created database {db['NAME']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
