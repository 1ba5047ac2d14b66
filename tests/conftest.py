"""Shared fixtures: a migrated store on SQLite and on PostgreSQL, the CLI, the real data."""

from __future__ import annotations

import io
import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from arrears.config import get_settings
from arrears.kit.db import engine_for, make_engine
from arrears.migrations import runner
from tests.portal_fixtures import (  # noqa: F401 - fixtures for every test module
    portal_app,
    portal_browser,
    portal_client,
    portal_server,
    portal_store,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
UCI_CSV = SHARED / "data" / "uci_credit_card_default.csv"
PG_ADMIN_URL = os.environ.get(
    "ARREARS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
_counter = itertools.count()

# Hypothesis' per-example deadline is a timing assertion: on a shared 2-core machine under load
# an example can take 10x its usual time, and the test fails for nothing the code did.
settings.register_profile("arrears", deadline=None)
settings.load_profile("arrears")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


@pytest.fixture(scope="session")
def uci_csv() -> Path:
    if not UCI_CSV.exists():
        pytest.fail(f"the real data is missing at {UCI_CSV}")
    return UCI_CSV


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    runner.upgrade(f"sqlite:///{path}")
    return path


def _pg_admin() -> Engine:
    return make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = f"arrears_tpl_{_worker()}_{os.getpid()}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    runner.upgrade(url)
    yield name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fresh_pg(template: str) -> Iterator[str]:
    name = f"arrears_t_{_worker()}_{os.getpid()}_{next(_counter)}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty operational store on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "arrears.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        engine_for.cache_clear()
    else:
        yield from _fresh_pg(request.getfixturevalue("pg_template"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging and checking; tests commit through the code under test."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point Settings at this test's store and a private warehouse; returns the work folder."""
    monkeypatch.setenv("ARREARS_DATABASE_URL", db_url)
    monkeypatch.setenv("ARREARS_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(env: Path) -> object:
    """Run ``arrears ...`` in process against the test's store: ``cli("portfolio", "summary")``."""
    from arrears.cli.main import run

    def invoke(*args: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = run(list(args))
        return CliResult(code, out.getvalue(), err.getvalue())

    return invoke
