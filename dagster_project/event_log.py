"""Dagster's SQLite event log, with one database engine per file instead of one per event.

Dagster's `SqliteEventLogStorage` creates a new SQLAlchemy engine (and with it a new
SQLite connection) for every read and write and disposes of it afterwards: about 12 ms per
event on the 2-core machine, and a nightly run writes 900–1,200 events (every dbt model and
dbt test planned, output and evaluated). Keeping one engine per database file (the run's
file and the index) brings that to about 5 ms, and commits that do not wait for the disk
(`synchronous=NORMAL` in Dagster's WAL mode) to about 2 ms (docs/benchmarks.md). The files, their schema
and what is written are Dagster's own: a home keeps its history and can go back to the
plain storage at any time (delete the `event_log_storage:` section of dagster.yaml).

Used through the home's `dagster/dagster.yaml` (`dagster_project/environment.py`). Built on
`SqliteEventLogStorage._connect`, an internal hook of Dagster 1.13 (pinned in
requirements.lock); tests/pipeline/test_event_log.py runs a real instance on it.
"""

import os
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

from dagster import Field, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event

# In WAL mode (Dagster's own setting for these files) `synchronous=NORMAL` writes a commit to
# the write-ahead log without waiting for the disk; only checkpoints do. A crash of the
# process loses nothing; a power cut may lose the last events written, never the file
# (SQLite's documented guarantee for WAL). Default FULL waits for the disk at every commit:
# about 1 ms each, and a run commits 2,000-2,500 times.
SYNCHRONOUS = "NORMAL"


def _on_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
    finally:
        cursor.close()

# engines kept open at most (the index and the newest runs' files); a long-lived process
# such as the UI reads many runs and must not keep a file open for each
KEEP_ENGINES = 8


def default_base_dir() -> str:
    """Where Dagster's default storage keeps the event log: <DAGSTER_HOME>/history/runs."""
    return str(Path(os.environ["DAGSTER_HOME"]) / "history" / "runs")


class SpmSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that keeps one engine per database file for the process."""

    def __init__(self, base_dir: str | None = None, inst_data=None):
        self._engines: OrderedDict = OrderedDict()
        super().__init__(base_dir or default_base_dir(), inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str):
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
        else:
            # the storage's lock lets one thread at a time use the files (as in the base
            # class), so the pooled connection may pass between threads
            engine = create_engine(self.conn_string_for_shard(shard),
                                   connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                                 "check_same_thread": False})
            event.listen(engine, "connect", _on_connect)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            self._engines[shard] = engine
            while len(self._engines) > KEEP_ENGINES:
                self._engines.popitem(last=False)[1].dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str):
        with self._db_lock:
            with self._engine(shard).connect() as conn:
                with conn.begin():
                    yield conn

    def _dispose_engines(self) -> None:
        with self._db_lock:
            engines, self._engines = self._engines, OrderedDict()
        for engine in engines.values():
            engine.dispose()

    def delete_events(self, run_id: str) -> None:
        """Dagster empties the run's file and leaves it; a deleted run (run retention,
        dagster_project/betrieb/aufbewahrung.py) also loses the file."""
        super().delete_events(run_id)
        with self._db_lock:
            engine = self._engines.pop(run_id, None)
            self._initialized_dbs.discard(run_id)
        if engine is not None:
            engine.dispose()
        path = Path(self.path_for_shard(run_id))
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)

    def wipe(self) -> None:
        # removes the files: their engines must not outlive them
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
