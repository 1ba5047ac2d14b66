"""Run the daily cycle: snapshot → compute (age … decide) → write → sync, with a run record."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from arrears.config import Settings
from arrears.delinquency.fees import FeeSchedule, load_fee_schedule
from arrears.engine import repository, stages
from arrears.engine.backends import open_backend
from arrears.engine.models import CycleRun
from arrears.engine.sync import ACCOUNT_COLUMNS, ACTOR, CASE_COLUMNS, SyncCounts, sync_cases
from arrears.kit.clock import clock
from arrears.kit.db import UnitOfWork
from arrears.kit.errors import Conflict
from arrears.portfolio import warehouse
from arrears.promises import service as promise_service
from arrears.strategy.loader import LoadedStrategy, load_strategy
from arrears.vocabulary import LEVELS

if TYPE_CHECKING:  # the model stack (lightgbm, scikit-learn) loads only when a strategy uses it
    from arrears.analytics.model import TrainedModel

# What the progress bar shows, in order; the run record keeps one duration per stage.
STAGES = {
    "promises": "reconcile promises and plans against the payments",
    "snapshot": "load the snapshot and the open cases",
    "compute": "age → fees & interest → segment → score → decide",
    "write": "write decisions (warehouse, Parquet)",
    "sync": "sync work orders to the operational store",
}


@dataclass
class CycleResult:
    run_id: int
    as_of: date
    engine: str
    strategy: str
    strategy_hash: str
    accounts: int
    buckets: dict[str, int]
    levels: dict[str, int]
    arms: dict[str, int]
    cases: dict[str, int]
    durations: dict[str, float] = field(default_factory=dict)
    promises: dict[str, int] = field(default_factory=dict)
    out: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of,
            "engine": self.engine,
            "strategy": self.strategy,
            "strategy_hash": self.strategy_hash,
            "accounts": self.accounts,
            "buckets": self.buckets,
            "levels": self.levels,
            "arms": self.arms,
            "cases": self.cases,
            "promises": self.promises,
            "durations": self.durations,
            "out": self.out,
        }


def _rank_sql(col: str) -> str:
    whens = " ".join(f"WHEN '{n}' THEN {i}" for i, n in enumerate(LEVELS))
    return f"CASE {col} {whens} ELSE -1 END"


def customer_cases(con: duckdb.DuckDBPyConnection, as_of: date) -> tuple[pa.Table, pa.Table]:
    """Delinquent decisions rolled up to one row per customer (the work order) and its accounts.

    The lead account (highest level, then dpd, then amount due) gives the case its bucket, level
    and queue; amounts are summed over the customer's delinquent accounts.
    """
    cases = con.execute(
        f"""
        WITH d AS (
            SELECT *, {_rank_sql("level")} AS level_rank FROM decisions
            WHERE as_of = $as_of AND level IS NOT NULL
        ), lead AS (
            SELECT *, row_number() OVER (PARTITION BY customer_id
                ORDER BY level_rank DESC, dpd DESC, amount_due DESC, account_id) AS rn
            FROM d
        ), total AS (
            SELECT customer_id, sum(amount_due) AS amount_due, sum(balance) AS balance,
                   sum(fees) AS fees, sum(interest) AS interest, count(*) AS account_count
            FROM d GROUP BY customer_id
        )
        SELECT l.customer_id AS customer_ref, l.currency, l.bucket, l.dpd,
               CAST(t.amount_due AS DECIMAL(18,2)) AS amount_due,
               CAST(t.balance AS DECIMAL(18,2)) AS balance,
               CAST(t.fees AS DECIMAL(18,2)) AS fees,
               CAST(t.interest AS DECIMAL(18,2)) AS interest,
               CAST(t.account_count AS INTEGER) AS account_count, l.level, l.queue, l.priority,
               l.segment, l.tier, CAST(l.score AS DECIMAL(12,4)) AS score, l.arm,
               CAST(to_json(string_split(l.treatments, ';')) AS VARCHAR) AS treatments
        FROM lead l JOIN total t USING (customer_id) WHERE l.rn = 1
        """,
        {"as_of": as_of},
    ).fetch_arrow_table()
    accounts = con.execute(
        """
        SELECT customer_id AS customer_ref, account_id AS account_ref, bucket, dpd, amount_due,
               fees, interest
        FROM decisions WHERE as_of = $as_of AND level IS NOT NULL
        """,
        {"as_of": as_of},
    ).fetch_arrow_table()
    return cases.select(list(CASE_COLUMNS)), accounts.select(list(ACCOUNT_COLUMNS))


def _counts(
    con: duckdb.DuckDBPyConnection, col: str, as_of: date, where: str = ""
) -> dict[str, int]:
    rows = con.execute(
        f"SELECT {col}, count(*) FROM decisions WHERE as_of = $as_of {where} "
        f"GROUP BY {col} ORDER BY {col}",
        {"as_of": as_of},
    ).fetchall()
    return {str(k): int(v) for k, v in rows}


def write_parquet(con: duckdb.DuckDBPyConnection, as_of: date, out: Path) -> Path:
    """``decisions.parquet`` for ``as_of`` (treatments as a list of strings)."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "decisions.parquet"
    cols = ", ".join(
        c if c != "treatments" else "string_split(treatments, ';') AS treatments"
        for c in stages.DECISION_COLUMNS
    )
    path = str(target).replace("'", "''")
    con.execute(
        f"COPY (SELECT {cols} FROM decisions WHERE as_of = $as_of ORDER BY account_id) "
        f"TO '{path}' (FORMAT PARQUET)",
        {"as_of": as_of},
    )
    return target


def model_scores(warehouse_path: Path, *, as_of: date, trained: TrainedModel) -> pa.Table:
    """The model's score per account as of ``as_of`` (``stages.MODEL_SCORES``).

    ``round((1 - p) * 1000)`` where ``p`` is the probability of default: the propensity to pay
    on 0..1000, so a higher score is worked as "more likely to pay", as with the points score.
    """
    from arrears.analytics.service import score_warehouse

    con = warehouse.connect(warehouse_path, read_only=True)
    try:
        p = score_warehouse(con=con, as_of=as_of, trained=trained)
    finally:
        con.close()
    score = np.rint((1.0 - p.to_numpy(dtype="float64")) * 1000).astype("int32")
    return pa.table(
        [pa.array(p.index.astype(str), pa.string()), pa.array(score, pa.int32())],
        schema=stages.MODEL_SCORES,
    )


@contextmanager
def _timed(
    durations: dict[str, float], stage: str, on_stage: Callable[[str], None]
) -> Iterator[None]:
    on_stage(stage)
    start = time.perf_counter()
    yield
    durations[stage] = round(time.perf_counter() - start, 3)


# A run still "running" this long after it started died with its process: the next run marks it
# failed instead of waiting for it forever.
STALE_AFTER = timedelta(hours=6)


@dataclass(frozen=True)
class CycleJob:
    """A run whose inputs are loaded and checked and whose record is open."""

    run_id: int
    as_of: date
    settings: Settings
    store: Engine
    engine: str
    loaded: LoadedStrategy
    schedule: FeeSchedule
    trained: TrainedModel | None
    out: Path | None


def run_cycle(
    *,
    as_of: date,
    settings: Settings,
    store: Engine,
    engine: str = "duckdb",
    strategy: str | None = None,
    out: Path | None = None,
    on_stage: Callable[[str], None] = lambda _stage: None,
) -> CycleResult:
    """Run the whole cycle for ``as_of``; rerunning the same date changes nothing."""
    job = begin_cycle(
        as_of=as_of, settings=settings, store=store, engine=engine, strategy=strategy, out=out
    )
    return finish_cycle(job, on_stage=on_stage)


def begin_cycle(
    *,
    as_of: date,
    settings: Settings,
    store: Engine,
    engine: str = "duckdb",
    strategy: str | None = None,
    out: Path | None = None,
) -> CycleJob:
    """Load and check the run's inputs, then open its record; ``Conflict`` while another run is
    running (the database's one-running-run index decides, so two starters cannot both win)."""
    loaded = load_strategy(strategy or settings.strategy)
    schedule = load_fee_schedule(settings.fee_schedule)
    # Before the run record: a missing model (NotFound naming `arrears model train`) writes nothing.
    trained: TrainedModel | None = None
    if loaded.strategy.score.source == "model":
        from arrears.analytics.model import load_model

        trained = load_model(settings.warehouse.parent / "models")  # models_dir() for settings

    with UnitOfWork(store) as uow:
        now = clock.now()
        for other in repository.running_runs(uow.session):
            if now - other.started_at < STALE_AFTER:
                raise Conflict(
                    f"cycle run {other.id} for {other.as_of} is still running (started "
                    f"{other.started_at:%Y-%m-%d %H:%M} UTC); wait for it to end"
                )
            other.status = "failed"
            other.finished_at = now
            other.error = f"abandoned: no end recorded within {STALE_AFTER} of its start"
        uow.session.flush()
        try:
            run = repository.add_run(
                uow.session,
                CycleRun(
                    as_of=as_of,
                    engine=engine,
                    strategy_name=loaded.strategy.name,
                    strategy_hash=loaded.sha256,
                    status="running",
                    started_at=now,
                    counts={},
                    durations={},
                ),
            )
        except IntegrityError as exc:
            raise Conflict("another cycle run started a moment ago; wait for it to end") from exc
        uow.commit()
        run_id = run.id
    return CycleJob(
        run_id=run_id,
        as_of=as_of,
        settings=settings,
        store=store,
        engine=engine,
        loaded=loaded,
        schedule=schedule,
        trained=trained,
        out=out,
    )


def finish_cycle(
    job: CycleJob, *, on_stage: Callable[[str], None] = lambda _stage: None
) -> CycleResult:
    """Do the run ``begin_cycle`` opened; its record ends succeeded or failed (with the error)."""
    as_of, settings, store, engine, out = job.as_of, job.settings, job.store, job.engine, job.out
    loaded, schedule, trained, run_id = job.loaded, job.schedule, job.trained, job.run_id
    durations: dict[str, float] = {}

    try:
        # First, so that a promise broken by today's payments (or their absence) is in the open
        # cases the decisions read. Verdicts are final, so a rerun changes nothing; a failure
        # later in the run leaves them, as `arrears cases reconcile` would.
        with _timed(durations, "promises", on_stage), UnitOfWork(store) as uow:
            promises = promise_service.reconcile_all(session=uow.session, actor=ACTOR, as_of=as_of)
            uow.commit()

        with _timed(durations, "snapshot", on_stage):
            with UnitOfWork(store) as uow:
                live = repository.live_cases(uow.session)
            # The model scores once, vectorised, in Python; the plan joins the result.
            scores = (
                model_scores(settings.warehouse, as_of=as_of, trained=trained)
                if trained is not None
                else None
            )

        with (
            _timed(durations, "compute", on_stage),
            open_backend(
                engine,
                settings.warehouse,
                spark_master=settings.spark_master,
                memory_limit=settings.duckdb_memory_limit,
            ) as backend,
        ):
            snapshot, live_table = backend.snapshot(), backend.live_cases(live)
            scores_table = backend.model_scores(scores) if scores is not None else None
            accounts = backend.materialize(
                lambda: stages.decisions(
                    snapshot,
                    live_table,
                    as_of=as_of,
                    strategy=loaded.strategy,
                    strategy_hash=loaded.sha256,
                    schedule=schedule,
                    model_scores=scores_table,
                ),
                as_of=as_of,
                key=(loaded.sha256, schedule.model_dump_json(), as_of),
            )

        with _timed(durations, "write", on_stage):
            con = warehouse.connect(settings.warehouse)
            try:
                buckets = _counts(con, "bucket", as_of)
                levels = _counts(con, "level", as_of, "AND level IS NOT NULL")
                arms = _counts(con, "arm", as_of)
                target = write_parquet(con, as_of, out) if out is not None else None
                cases, case_accounts = customer_cases(con, as_of)
            finally:
                con.close()

        with _timed(durations, "sync", on_stage), UnitOfWork(store) as uow:
            counts: SyncCounts = sync_cases(
                uow.session,
                cases=cases,
                accounts=case_accounts,
                as_of=as_of,
                run_id=run_id,
                strategy_hash=loaded.sha256,
                now=clock.now(),
            )
            record = repository.get_run(uow.session, run_id)
            assert record is not None
            record.status = "succeeded"
            record.finished_at = clock.now()
            record.counts = {
                "accounts": accounts,
                "buckets": buckets,
                "levels": levels,
                "arms": arms,
                "cases": counts.as_dict(),
                "promises": promises,
            }
            record.durations = dict(durations, sync=0.0)
            uow.session.flush()
            uow.commit()
    except BaseException as exc:
        with UnitOfWork(store) as uow:
            record = repository.get_run(uow.session, run_id)
            if record is not None:
                record.status = "failed"
                record.finished_at = clock.now()
                record.durations = durations
                record.error = f"{type(exc).__name__}: {exc}"[:2000]
                uow.commit()
        raise

    # The sync duration is only known after its commit; store it without touching the cases.
    with UnitOfWork(store) as uow:
        record = repository.get_run(uow.session, run_id)
        assert record is not None
        record.durations = durations
        uow.commit()

    return CycleResult(
        run_id=run_id,
        as_of=as_of,
        engine=engine,
        strategy=loaded.source,
        strategy_hash=loaded.sha256,
        accounts=accounts,
        buckets=buckets,
        levels=levels,
        arms=arms,
        cases=counts.as_dict(),
        durations=durations,
        out=str(target) if target else None,
        promises=promises,
    )
