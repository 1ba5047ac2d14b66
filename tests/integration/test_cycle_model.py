"""The cycle with ``score.source: model``: the trained model's propensity to pay is the score the
bands and rules read, on DuckDB and Spark; without a trained model the cycle refuses up front."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arrears.analytics.model import ARTIFACT, load_model
from arrears.analytics.service import score_warehouse, train_model
from arrears.config import get_settings
from arrears.delinquency.fees import load_fee_schedule
from arrears.engine import service, stages
from arrears.engine.backends import SNAPSHOT_TABLES, DuckDBBackend, SparkBackend
from arrears.engine.models import CycleRun
from arrears.kit.errors import NotFound
from arrears.portfolio.models import Cardholder
from arrears.portfolio.uci import read_uci
from arrears.portfolio.warehouse import ensure_tables
from arrears.strategy.loader import SHIPPED, load_strategy

pytestmark = pytest.mark.realdata
AS_OF = date(2005, 10, 1)
ROWS = 3000  # the first clients of the real file: enough to train on, quick to score


@pytest.fixture(scope="module")
def small_uci(uci_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse of the first ``ROWS`` UCI clients (with labels) and a model trained on it."""
    root = tmp_path_factory.mktemp("cycle-model")
    lines = uci_csv.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    csv = root / "small.csv"
    csv.write_text("".join(lines[: ROWS + 1]), encoding="utf-8")
    path = root / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    try:
        ensure_tables(con)
        for name, table in read_uci(csv).items():
            con.register("incoming", table)
            con.execute(f"INSERT INTO {name} SELECT * FROM incoming")
            con.unregister("incoming")
        train_model(con=con, directory=root / "models", seed=7)
    finally:
        con.close()
    return path


@pytest.fixture
def model_env(env: Path, engine: Engine, small_uci: Path) -> Path:
    """The small warehouse in this test's settings, its holders in the store, a model strategy."""
    settings = get_settings()
    shutil.copy(small_uci, settings.warehouse)
    con = duckdb.connect(str(small_uci), read_only=True)
    refs = [r[0] for r in con.execute("SELECT customer_id FROM cardholders").fetchall()]
    con.close()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Cardholder),
            [{"external_ref": r, "name": r, "identity_category": "unknown", "language": "zh-CN",
              "time_zones": [], "flags": [], "created_at": now} for r in refs],
        )  # fmt: skip
    text = (SHIPPED / "default.yaml").read_text(encoding="utf-8")
    model_text = text.replace("score:\n  source: points\n", "score:\n  source: model\n")
    assert model_text != text
    strategy = env / "model-strategy.yaml"
    strategy.write_text(model_text, encoding="utf-8")
    return strategy


def _with_model(small_uci: Path) -> None:
    models = get_settings().warehouse.parent / "models"
    models.mkdir(parents=True, exist_ok=True)
    shutil.copy(small_uci.parent / "models" / ARTIFACT, models / ARTIFACT)


def _decisions() -> dict[str, tuple[int, str, str | None]]:
    con = duckdb.connect(str(get_settings().warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT account_id, score, score_band, rule FROM decisions WHERE as_of = ?", [AS_OF]
        ).fetchall()
    finally:
        con.close()
    return {a: (s, b, r) for a, s, b, r in rows}


def _expected_scores(small_uci: Path) -> dict[str, int]:
    """The model's propensity to pay per account, computed here apart from the cycle."""
    con = duckdb.connect(str(small_uci), read_only=True)
    try:
        p = score_warehouse(con=con, as_of=AS_OF)
    finally:
        con.close()
    scores = np.rint((1 - p.to_numpy()) * 1000).astype(int)
    return dict(zip(p.index.astype(str), scores, strict=True))


def _band(score: int) -> str:
    # The default strategy's bands: low 0-399, medium 400-599, high 600+.
    return "low" if score <= 399 else "medium" if score <= 599 else "high"


def test_model_score_feeds_the_bands_and_rules(
    model_env: Path, engine: Engine, small_uci: Path
) -> None:
    _with_model(small_uci)
    result = service.run_cycle(
        as_of=AS_OF, settings=get_settings(), store=engine, strategy=str(model_env)
    )
    assert result.accounts == ROWS
    expected = _expected_scores(small_uci)
    decided = _decisions()
    assert len(expected) == ROWS
    assert {a: s for a, (s, _, _) in decided.items()} == expected
    assert {a: b for a, (_, b, _) in decided.items()} == {a: _band(s) for a, s in expected.items()}
    assert len({b for _, b, _ in decided.values()}) >= 2  # the model spreads accounts over bands
    # The rule keyed on the band (M1 with a high score → SMS only) follows the model's score.
    sms = {a for a, (_, _, r) in decided.items() if r == "m1-good"}
    assert sms
    assert all(decided[a][1] == "high" for a in sms)
    # A rerun for the same date changes nothing.
    again = service.run_cycle(
        as_of=AS_OF, settings=get_settings(), store=engine, strategy=str(model_env)
    )
    assert again.cases["opened"] == again.cases["updated"] == 0
    assert _decisions() == decided


def test_without_a_trained_model_the_cycle_refuses_and_writes_nothing(
    model_env: Path, engine: Engine
) -> None:
    with pytest.raises(NotFound, match="arrears model train"):
        service.run_cycle(
            as_of=AS_OF, settings=get_settings(), store=engine, strategy=str(model_env)
        )
    with sa.orm.Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CycleRun)) == 0
    con = duckdb.connect(str(get_settings().warehouse), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert "decisions" not in tables
    assert set(SNAPSHOT_TABLES) <= tables


@pytest.mark.spark
@pytest.mark.slow
def test_duckdb_and_spark_read_the_same_staged_model_scores(
    small_uci: Path, tmp_path: Path, spark_local: object
) -> None:
    text = (SHIPPED / "default.yaml").read_text(encoding="utf-8")
    strategy = tmp_path / "model.yaml"
    strategy.write_text(text.replace("source: points", "source: model"), encoding="utf-8")
    loaded = load_strategy(str(strategy))
    schedule = load_fee_schedule("cn-card")
    scores = service.model_scores(
        small_uci, as_of=AS_OF, trained=load_model(small_uci.parent / "models")
    )
    ids, values = scores.column("account_id").to_pylist(), scores.column("score").to_pylist()
    staged = dict(zip(ids, values, strict=True))
    cols = [c for c in stages.DECISION_COLUMNS if c != "as_of"]
    results = {}
    # The Spark backend runs on the worker's session (spark_local, stopped at the session's end).
    for name in ("duckdb", "spark"):
        path = tmp_path / f"{name}.duckdb"
        shutil.copy(small_uci, path)
        backend: DuckDBBackend | SparkBackend = (
            DuckDBBackend(path) if name == "duckdb" else SparkBackend(path, master="local[2]")
        )
        try:
            snap = backend.snapshot()
            live = backend.live_cases(stages.LIVE_CASES.empty_table())
            ms = backend.model_scores(scores)
            backend.materialize(
                lambda day, s=snap, lt=live, m=ms: stages.decisions(  # type: ignore[misc]
                    s, lt, as_of=day, strategy=loaded.strategy,
                    strategy_hash=loaded.sha256, schedule=schedule, model_scores=m,
                ),
                as_of=AS_OF,
            )  # fmt: skip
        finally:
            backend.close()
        con = duckdb.connect(str(path), read_only=True)
        try:
            results[name] = con.execute(
                f"SELECT {', '.join(cols)} FROM decisions ORDER BY account_id"
            ).fetch_arrow_table()
        finally:
            con.close()
    duck, spk = results["duckdb"].to_pylist(), results["spark"].to_pylist()
    assert len(duck) == ROWS
    assert duck == spk
    assert {r["account_id"]: r["score"] for r in spk} == staged
