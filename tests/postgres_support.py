"""A real PostgreSQL for the publishing tests: one throw-away database per test module.

The server is the one `.ci/run` starts (127.0.0.1:5432, superuser `postgres`); another one
can be named with `SPM_TEST_POSTGRES_URL`. Without a server the tests FAIL (never skip).
"""

import fcntl
import os
import tempfile
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql

ADMIN_URL = os.environ.get("SPM_TEST_POSTGRES_URL",
                           "postgresql://postgres@127.0.0.1:5432/postgres")


def url_for(dbname: str, user: str | None = None) -> str:
    info = psycopg.conninfo.conninfo_to_dict(ADMIN_URL)
    info["dbname"] = dbname
    if user:
        info["user"] = user
    return psycopg.conninfo.make_conninfo(**info)


def admin_connect() -> psycopg.Connection:
    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL nicht erreichbar ({ADMIN_URL}); die PostgreSQL-Tests brauchen "
                    f"einen laufenden Server (.ci/run startet ihn): {exc}", pytrace=False)


@contextmanager
def postgres_lock():
    """One test module with PostgreSQL at a time on this machine: the modules share the
    cluster-wide reader role `spm_leser`, and `make test` runs modules on two workers
    (pytest-xdist, `--dist loadfile`). Held by an autouse module fixture of each module."""
    path = os.path.join(tempfile.gettempdir(), "spm-tests-postgres.lock")
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def scratch_database(name: str):
    """Create database `name` (dropped first if left over), yield its URL, drop it again."""
    admin = admin_connect()
    ident = sql.Identifier(name)
    try:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(ident))
        admin.execute(sql.SQL("create database {}").format(ident))
        yield url_for(name)
    finally:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(ident))
        admin.close()
