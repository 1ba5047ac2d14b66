"""Run the daily cycle: snapshot → compute (age … decide) → write → sync, with a run record."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrears.chargeoff import repository as chargeoff_repository
from arrears.chargeoff import service as chargeoff_service
from arrears.config import Settings
from arrears.delinquency.chargeoff import charge_off_dpd
from arrears.delinquency.fees import FeeSchedule, load_fee_schedule
from arrears.engine import repository, stages
from arrears.engine.backends import check_engine, open_backend
from arrears.engine.heartbeat import Heartbeat, RunAbandoned
from arrears.engine.models import CycleRun
from arrears.engine.sync import ACCOUNT_COLUMNS, ACTOR, CASE_COLUMNS, SyncCounts, sync_cases
from arrears.kit import audit
from arrears.kit.clock import clock
from arrears.kit.dates import not_after_today
from arrears.kit.db import UnitOfWork
from arrears.kit.errors import BadInput, Conflict, NotFound, RuleRefused
from arrears.portfolio import warehouse
from arrears.promises import nightly as promise_nightly
from arrears.strategy.loader import LoadedStrategy, load_strategy
from arrears.vocabulary import LEVELS

# Who a run acts for when no user is given: the nightly scheduler.
SYSTEM = "system"

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


def customer_cases(
    con: duckdb.DuckDBPyConnection, as_of: date, written_off: Sequence[str] = ()
) -> tuple[pa.Table, pa.Table]:
    """Delinquent decisions rolled up to one row per customer (the work order) and its accounts.

    Accounts in ``written_off`` are left out: they are off the book and no longer worked (a
    payment on one is a recovery, not a cure).

    The lead account (highest level, then dpd, then amount due) gives the case its bucket, level
    and queue; amounts are summed over the customer's delinquent accounts. Both come in customer
    (then account) order: the sync opens work orders in this order, so it decides the case ids,
    and DuckDB's threads return an unordered read in a different order from run to run.
    """
    # A registered Arrow table: DuckDB anti-joins it by hash, whatever its size.
    con.register(
        "written_off_accounts", pa.table({"account_id": pa.array(list(written_off), pa.string())})
    )
    cases = con.execute(
        f"""
        WITH d AS (
            SELECT *, {_rank_sql("level")} AS level_rank FROM decisions
            WHERE as_of = $as_of AND level IS NOT NULL
              AND account_id NOT IN (SELECT account_id FROM written_off_accounts)
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
        ORDER BY l.customer_id
        """,
        {"as_of": as_of},
    ).fetch_arrow_table()
    accounts = con.execute(
        """
        SELECT customer_id AS customer_ref, account_id AS account_ref, bucket, dpd, amount_due,
               fees, interest
        FROM decisions
        WHERE as_of = $as_of AND level IS NOT NULL
          AND account_id NOT IN (SELECT account_id FROM written_off_accounts)
        ORDER BY customer_id, account_id
        """,
        {"as_of": as_of},
    ).fetch_arrow_table()
    con.unregister("written_off_accounts")
    return cases.select(list(CASE_COLUMNS)), accounts.select(list(ACCOUNT_COLUMNS))


def charge_offs(
    con: duckdb.DuckDBPyConnection, as_of: date, schedule: FeeSchedule
) -> pa.Table | None:
    """The accounts the profile charges off (dpd at or past its day count), with the day they
    reached it and their balance split; None when the profile does not charge off."""
    after = charge_off_dpd(schedule)
    if after is None:
        return None
    return con.execute(
        """
        SELECT account_id AS account_ref, customer_id AS customer_ref, currency, dpd,
               CAST($as_of - (dpd - $after) AS DATE) AS charged_off_on,
               balance AS principal, interest, fees
        FROM decisions WHERE as_of = $as_of AND dpd >= $after ORDER BY account_id
        """,
        {"as_of": as_of, "after": after},
    ).fetch_arrow_table()


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
    durations: dict[str, float],
    stage: str,
    on_stage: Callable[[str], None],
    heartbeat: Heartbeat,
) -> Iterator[None]:
    heartbeat.stage(stage)
    on_stage(stage)
    start = time.perf_counter()
    yield
    durations[stage] = round(time.perf_counter() - start, 3)


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
    actor: str = SYSTEM,
    on_stage: Callable[[str], None] = lambda _stage: None,
) -> CycleResult:
    """Run the whole cycle for ``as_of``; rerunning the same date changes nothing."""
    job = begin_cycle(
        as_of=as_of,
        settings=settings,
        store=store,
        engine=engine,
        strategy=strategy,
        out=out,
        actor=actor,
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
    actor: str = SYSTEM,
) -> CycleJob:
    """Check the run's inputs (engine, as-of date, strategy, fee schedule, model), then open its
    record; a refused input writes nothing. ``Conflict`` while another run is alive (the
    database's one-running-run index decides, so two starters cannot both win); a run whose
    heartbeat stopped is marked failed first (audited, ``actor`` names who found it)."""
    check_engine(engine)
    not_after_today(as_of, "the cycle's as-of date")
    loaded = load_strategy(strategy or settings.strategy)
    schedule = load_fee_schedule(settings.fee_schedule)
    # Before the run record: a missing model (NotFound naming `arrears model train`) writes nothing.
    trained: TrainedModel | None = None
    if loaded.strategy.score.source == "model":
        from arrears.analytics.model import load_model

        trained = load_model(settings.warehouse.parent / "models")  # models_dir() for settings

    stale_after = timedelta(seconds=settings.cycle_stale_after_seconds)
    with UnitOfWork(store) as uow:
        now = clock.now()
        for other in repository.running_runs(uow.session):
            _end_if_dead(uow.session, other, now=now, stale_after=stale_after, actor=actor)
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
                    heartbeat_at=now,
                    actor=actor,
                    counts={},
                    durations={},
                ),
            )
        except IntegrityError as exc:
            raise Conflict("another cycle run started a moment ago; wait for it to end") from exc
        audit.record(
            uow.session,
            actor=actor,
            action="cycle.run",
            entity="cycle_run",
            entity_id=run.id,
            after={"as_of": as_of.isoformat(), "engine": engine, "strategy": loaded.source},
            at=now,
        )
        uow.session.flush()
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


def _end_if_dead(
    session: Session, other: CycleRun, *, now: datetime, stale_after: timedelta, actor: str
) -> None:
    """Mark ``other`` failed if its heartbeat stopped ``stale_after`` ago; ``Conflict`` if alive."""
    last = other.heartbeat_at or other.started_at
    if now - last < stale_after:
        raise Conflict(
            f"cycle run {other.id} for {other.as_of} is still running (stage "
            f"{other.stage or 'starting'}, last heartbeat {last:%Y-%m-%d %H:%M:%S} UTC); wait "
            f"for it to end, or if its process is gone: arrears cycle abandon {other.id} "
            "--reason TEXT"
        )
    error = (
        f"abandoned: heartbeat stopped at {last:%Y-%m-%d %H:%M:%S} UTC "
        f"(stage {other.stage or 'starting'}); found by the next start at {now:%H:%M:%S} UTC"
    )
    before = _state(other)
    if not repository.end_run(
        session, other.id, status="failed", now=now, error=error, beat_before=now - stale_after
    ):
        raise Conflict(f"cycle run {other.id} beat or ended a moment ago; try again")
    audit.record(
        session,
        actor=actor,
        action="cycle.abandon",
        entity="cycle_run",
        entity_id=other.id,
        before=before,
        after={"status": "failed", "error": error},
        reason=error,
        at=now,
    )


def _state(run: CycleRun) -> dict[str, Any]:
    beat = run.heartbeat_at or run.started_at
    return {
        "status": run.status,
        "as_of": run.as_of.isoformat(),
        "stage": run.stage,
        "heartbeat_at": beat.isoformat(),
        "actor": run.actor,
    }


def abandon_run(*, session: Session, run_id: int, actor: str, reason: str) -> CycleRun:
    """Mark a running run failed now (its process is gone, or it must stop): audited with the
    reason. The run, if still alive, stops at its next stage and rolls its sync back."""
    reason = reason.strip()
    if not reason:
        raise BadInput("--reason: say why the run is abandoned")
    run = repository.get_run(session, run_id)
    if run is None:
        raise NotFound(f"no cycle run {run_id}")
    if run.status != "running":
        raise RuleRefused(f"cycle run {run_id} is not running: it {run.status}")
    before = _state(run)
    now = clock.now()
    error = f"abandoned by {actor} at {now:%Y-%m-%d %H:%M:%S} UTC: {reason}"
    if not repository.end_run(session, run_id, status="failed", now=now, error=error):
        raise Conflict(f"cycle run {run_id} ended a moment ago")
    audit.record(
        session,
        actor=actor,
        action="cycle.abandon",
        entity="cycle_run",
        entity_id=run_id,
        before=before,
        after={"status": "failed", "error": error},
        reason=reason,
        at=now,
    )
    session.flush()
    session.refresh(run)
    return run


def finish_cycle(
    job: CycleJob, *, on_stage: Callable[[str], None] = lambda _stage: None
) -> CycleResult:
    """Do the run ``begin_cycle`` opened; its record ends succeeded or failed (with the error),
    its heartbeat written at each stage and every ``cycle_heartbeat_seconds`` meanwhile."""
    as_of, settings, store, engine, out = job.as_of, job.settings, job.store, job.engine, job.out
    loaded, schedule, trained, run_id = job.loaded, job.schedule, job.trained, job.run_id
    durations: dict[str, float] = {}
    heartbeat = Heartbeat(store, run_id, every=settings.cycle_heartbeat_seconds)

    try:
        with heartbeat:
            # First, so that a promise broken by today's payments (or their absence) is in the
            # open cases the decisions read. Verdicts are final, so a rerun changes nothing; a
            # failure later in the run leaves them, as `arrears cases reconcile` would.
            with (
                _timed(durations, "promises", on_stage, heartbeat),
                heartbeat.hold(),
                UnitOfWork(store) as uow,
            ):
                promises = promise_nightly.reconcile_all(
                    session=uow.session, actor=ACTOR, as_of=as_of
                )
                uow.commit()

            with _timed(durations, "snapshot", on_stage, heartbeat):
                with UnitOfWork(store) as uow:
                    live = repository.live_cases(uow.session)
                    written_off = chargeoff_repository.written_off_refs(uow.session)
                # The model scores once, vectorised, in Python; the plan joins the result.
                scores = (
                    model_scores(settings.warehouse, as_of=as_of, trained=trained)
                    if trained is not None
                    else None
                )

            with (
                _timed(durations, "compute", on_stage, heartbeat),
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
                    lambda day: stages.decisions(
                        snapshot,
                        live_table,
                        as_of=day,
                        strategy=loaded.strategy,
                        strategy_hash=loaded.sha256,
                        schedule=schedule,
                        model_scores=scores_table,
                    ),
                    as_of=as_of,
                    key=(loaded.sha256, schedule.model_dump_json(), scores is not None),
                )

            with _timed(durations, "write", on_stage, heartbeat):
                con = warehouse.connect(settings.warehouse)
                try:
                    buckets = _counts(con, "bucket", as_of)
                    levels = _counts(con, "level", as_of, "AND level IS NOT NULL")
                    arms = _counts(con, "arm", as_of)
                    target = write_parquet(con, as_of, out) if out is not None else None
                    cases, case_accounts = customer_cases(con, as_of, written_off)
                    charged = charge_offs(con, as_of, schedule)
                finally:
                    con.close()

            with (
                _timed(durations, "sync", on_stage, heartbeat),
                heartbeat.hold(),
                UnitOfWork(store) as uow,
            ):
                counts: SyncCounts = sync_cases(
                    uow.session,
                    cases=cases,
                    accounts=case_accounts,
                    as_of=as_of,
                    run_id=run_id,
                    strategy_hash=loaded.sha256,
                    now=clock.now(),
                )
                # Same transaction as the cases: a charge-off and its review queue go together.
                charged_off = (
                    chargeoff_service.record_charge_offs(
                        uow.session, charged, run_id=run_id, actor=ACTOR, now=clock.now()
                    )
                    if charged is not None
                    else 0
                )
                recovered = chargeoff_service.post_recoveries(uow.session, now=clock.now())
                # Conditional on the record still running: a run abandoned meanwhile (its
                # replacement may be running) rolls its sync back instead of ending "succeeded".
                ended = repository.end_run(
                    uow.session,
                    run_id,
                    status="succeeded",
                    now=clock.now(),
                    counts={
                        "accounts": accounts,
                        "buckets": buckets,
                        "levels": levels,
                        "arms": arms,
                        "cases": counts.as_dict(),
                        "promises": promises,
                        "charged_off": charged_off,
                        "recoveries": recovered,
                    },
                    durations=dict(durations, sync=0.0),
                )
                if not ended:
                    raise RunAbandoned(
                        f"cycle run {run_id} was abandoned while it ran; its sync is rolled back"
                    )
                uow.commit()
    except BaseException as exc:
        with UnitOfWork(store) as uow:
            # Conditional too: an abandoned record keeps the reason it was abandoned for.
            repository.end_run(
                uow.session,
                run_id,
                status="failed",
                now=clock.now(),
                error=f"{type(exc).__name__}: {exc}"[:2000],
                durations=durations,
            )
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
