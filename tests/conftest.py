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


def _run_cli(*args: str) -> CliResult:
    from arrears.cli.main import run

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = run(list(args))
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(env: Path) -> object:
    """Run ``arrears ...`` in process against the test's store: ``cli("portfolio", "summary")``."""
    return _run_cli


@pytest.fixture(scope="session")
def spark_local() -> Iterator[object]:
    """The cycle's local SparkSession (``spark_session("local[2]")``, 2 cores, 4 shuffle
    partitions), started once per worker and stopped at the end: the Spark tests of several
    files share its JVM instead of each starting and stopping one (seconds each)."""
    from arrears.engine.backends import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()
    spark_session.cache_clear()


# The whole UCI book, imported (and cycled as of 2005-10-01 with the shipped strategy) once per
# worker and store, then copied into each test that needs it: the import and the cycle are the
# same commands the tests ran themselves, checked the same way, but no longer repeated in every
# file (under load each import and cycle took 50-100 s per store).
UCI_AS_OF = "2005-10-01"


@dataclass(frozen=True)
class UciBook:
    store: str  # a SQLite file, or a PostgreSQL database name
    warehouse: Path
    cycle: CliResult | None  # what ``cycle run --as-of 2005-10-01 --json`` printed


class UciBooks:
    """Builds the templates on first use; ``restore`` copies one into a test's store."""

    def __init__(self, root: Path, uci_csv: Path) -> None:
        self._root, self._csv = root, uci_csv
        self._books: dict[tuple[str, bool], UciBook] = {}
        self._pg: list[str] = []

    def _make_store(
        self, request: pytest.FixtureRequest, backend: str, source: str | None, tag: str
    ) -> str:
        """A new store (from the empty migrated template, or ``source``); returns its URL."""
        if backend == "sqlite":
            path = self._root / f"{tag}.db"
            shutil.copy(source or request.getfixturevalue("sqlite_template"), path)
            return f"sqlite:///{path}"
        name = f"arrears_uci_{tag}_{_worker()}_{os.getpid()}"
        template = source or request.getfixturevalue("pg_template")
        with _pg_admin().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        self._pg.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def book(self, request: pytest.FixtureRequest, backend: str, *, cycled: bool) -> UciBook:
        key = (backend, cycled)
        if key in self._books:
            return self._books[key]
        tag = f"{backend}_{'cycled' if cycled else 'imported'}"
        source = self.book(request, backend, cycled=False) if cycled else None
        url = self._make_store(request, backend, source.store if source else None, tag)
        store = url.removeprefix("sqlite:///") if backend == "sqlite" else url.rsplit("/", 1)[1]
        warehouse = self._root / f"{tag}.duckdb"
        if source:
            shutil.copy(source.warehouse, warehouse)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ARREARS_DATABASE_URL", url)
            mp.setenv("ARREARS_WAREHOUSE", str(warehouse))
            get_settings.cache_clear()
            try:
                if cycled:
                    result = _run_cli("cycle", "run", "--as-of", UCI_AS_OF, "--json")
                else:
                    result = _run_cli("import", "uci", str(self._csv), "--json")
                assert result.exit_code == 0, result.stderr
            finally:
                get_settings.cache_clear()
                engine_for(url).dispose()  # no connection left open on the template
                engine_for.cache_clear()
        self._books[key] = UciBook(store, warehouse, result if cycled else None)
        return self._books[key]

    def restore(
        self, request: pytest.FixtureRequest, db_url: str, warehouse: Path, *, cycled: bool
    ) -> UciBook:
        """Replace the test's (fresh, unused) store and warehouse with the book's copies."""
        backend = "sqlite" if db_url.startswith("sqlite") else "postgres"
        book = self.book(request, backend, cycled=cycled)
        engine_for.cache_clear()
        if backend == "sqlite":
            shutil.copy(book.store, db_url.removeprefix("sqlite:///"))
        else:
            name = db_url.rsplit("/", 1)[1]
            with _pg_admin().connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{book.store}"'))
        shutil.copy(book.warehouse, warehouse)
        return book

    def drop(self) -> None:
        if self._pg:
            with _pg_admin().connect() as conn:
                for name in reversed(self._pg):
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def uci_books(tmp_path_factory: pytest.TempPathFactory, uci_csv: Path) -> Iterator[UciBooks]:
    books = UciBooks(tmp_path_factory.mktemp("uci-books"), uci_csv)
    yield books
    books.drop()


@pytest.fixture
def uci_imported(
    request: pytest.FixtureRequest, db_url: str, env: Path, uci_books: UciBooks
) -> UciBook:
    """The test's store and warehouse hold the UCI book as ``arrears import uci`` left it."""
    return uci_books.restore(request, db_url, env / "warehouse.duckdb", cycled=False)


@pytest.fixture
def uci_cycled(
    request: pytest.FixtureRequest, db_url: str, env: Path, uci_books: UciBooks
) -> UciBook:
    """... and as ``arrears cycle run --as-of 2005-10-01`` (shipped strategy) then left it;
    ``.cycle`` is what that run printed."""
    return uci_books.restore(request, db_url, env / "warehouse.duckdb", cycled=True)
