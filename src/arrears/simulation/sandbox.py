"""The store a simulation runs on: its own fresh SQLite file or PostgreSQL database and its own
warehouse, never the user's live store by accident (the process environment points at it for
the run and is restored afterwards)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from arrears.config import Settings, get_settings
from arrears.kit.db import make_engine
from arrears.kit.errors import BadInput
from arrears.simulation import repository as repo

if TYPE_CHECKING:
    from arrears.simulation.run import Options


@contextmanager
def sandbox(options: Options) -> Iterator[tuple[Path, str, Settings]]:
    """A work folder, a fresh store and warehouse, and settings pointing at them for every
    service (the environment of this process, restored afterwards)."""
    work = options.out or Path(tempfile.mkdtemp(prefix="arrears-sim-"))
    work.mkdir(parents=True, exist_ok=True)
    configured = get_settings().database_url
    created_db: str | None = None
    if options.store:
        url = options.store
    elif configured.startswith("postgresql"):
        base = make_url(configured)
        name = f"{base.database or 'arrears'}_sim_{os.getpid()}_{int(time.time())}"[:63]
        _create_database(configured, name)
        created_db = name
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{(work / 'store.db').resolve()}"
    names = ("ARREARS_DATABASE_URL", "ARREARS_WAREHOUSE", "ARREARS_OUTBOX_SPOOL")
    saved = {k: os.environ.get(k) for k in names}
    try:
        engine = make_engine(url)
        try:
            if repo.store_tables(engine):
                raise BadInput(f"--store {make_url(url).render_as_string()}: not empty")
        finally:
            engine.dispose()
        os.environ["ARREARS_DATABASE_URL"] = url
        os.environ["ARREARS_WAREHOUSE"] = str((work / "warehouse.duckdb").resolve())
        os.environ["ARREARS_OUTBOX_SPOOL"] = str((work / "outbox").resolve())
        get_settings.cache_clear()
        yield work, url, get_settings()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
        if options.out is None:
            shutil.rmtree(work, ignore_errors=True)
            if created_db is not None:
                _drop_database(configured, created_db)


def _create_database(configured: str, name: str) -> None:
    engine = make_engine(configured, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()


def _drop_database(configured: str, name: str) -> None:
    engine = make_engine(configured, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


# --- the run ---------------------------------------------------------------------------------
