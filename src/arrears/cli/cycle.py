"""`arrears cycle`: The daily cycle: age, price, segment, score, decide, sync."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from arrears.cli import identity, output
from arrears.cli.output import console, print_json, progress
from arrears.config import get_settings
from arrears.kit.dates import require_day
from arrears.kit.db import UnitOfWork, engine_for

app = typer.Typer(
    help="The daily cycle: age, price, segment, score, decide, sync.", no_args_is_help=True
)


def _date(value: str) -> date:
    return require_day(value, "--as-of")


@app.command("run")
def run(
    as_of: Annotated[str, typer.Option("--as-of", help="The snapshot date, YYYY-MM-DD.")],
    engine: Annotated[str, typer.Option(help="duckdb (default) or spark.")] = "duckdb",
    out: Annotated[Path | None, typer.Option(help="Folder for decisions.parquet.")] = None,
    strategy: Annotated[
        str | None, typer.Option(help="Strategy file path or shipped name (default: settings).")
    ] = None,
    user: identity.AsUser = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Age, price, segment, score and decide every account, then sync the work orders.

    Without --as (or ARREARS_USER) the run acts as `system`, as a nightly scheduler does.
    """
    from arrears.engine.service import STAGES, begin_cycle, finish_cycle

    day = _date(as_of)
    settings = get_settings()
    store = engine_for(settings.database_url)
    # Who runs it and whether it may, before anything is written: a refused user, engine,
    # date, strategy or model, or a run still alive, is one line and no run record.
    with UnitOfWork(store) as uow:
        acting = identity.optional(uow.session, user, "cycle.run")
    job = begin_cycle(
        as_of=day,
        settings=settings,
        store=store,
        engine=engine,
        strategy=strategy,
        out=out,
        actor=identity.actor(acting),
    )
    with progress(quiet=json_out) as bar:
        task = bar.add_task("cycle", total=len(STAGES))
        seen: list[str] = []

        def on_stage(stage: str) -> None:
            if seen:
                bar.advance(task)
            seen.append(stage)
            bar.update(task, description=f"{stage}: {STAGES[stage]}")

        result = finish_cycle(job, on_stage=on_stage)
        bar.update(task, completed=len(STAGES), description="cycle done")
    if json_out:
        print_json(result.as_dict())
        return
    c = result.cases
    console.print(
        f"[bold]cycle {result.as_of}[/bold] on {result.engine}: {result.accounts:,} accounts; "
        f"work orders opened {c['opened']:,}, updated {c['updated']:,}, closed {c['closed']:,}, "
        f"unchanged {c['unchanged']:,} (level raised {c['level_raised']:,})"
    )
    p = result.promises
    console.print(
        f"promises reconciled on {p['cases']:,} cases: kept {p['kept']:,}, "
        f"partially kept {p['partially_kept']:,}, broken {p['broken']:,}"
        + (f"; skipped {p['skipped']:,} (left for the next night)" if p.get("skipped") else "")
    )
    for title, counts in (
        ("bucket", result.buckets),
        ("level", result.levels),
        ("arm", result.arms),
    ):
        table = output.table(title=f"accounts by {title}")
        table.add_column(title)
        table.add_column("accounts", justify="right")
        for k, v in counts.items():
            table.add_row(k, f"{v:,}")
        console.print(table)
    if result.out:
        console.print(f"decisions written to {result.out}")


@app.command("history")
def history(
    limit: Annotated[int, typer.Option(help="How many runs, newest first.")] = 20,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """The run records: as-of date, engine, strategy hash, counts, stage durations, status."""
    from arrears.engine import repository

    settings = get_settings()
    with UnitOfWork(engine_for(settings.database_url)) as uow:
        runs = repository.history(uow.session, limit=limit)
        rows: list[dict[str, Any]] = [
            {
                "id": r.id,
                "as_of": r.as_of,
                "engine": r.engine,
                "strategy": r.strategy_name,
                "strategy_hash": r.strategy_hash,
                "status": r.status,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "counts": r.counts,
                "durations": r.durations,
                "error": r.error,
                "actor": r.actor,
                "stage": r.stage,
                "heartbeat_at": r.heartbeat_at,
            }
            for r in runs
        ]
    if json_out:
        print_json(rows)
        return
    table = output.table(title="cycle runs (cases: +opened ~updated -closed =unchanged)")
    for col in (
        "id",
        "as_of",
        "engine",
        "strategy",
        "hash",
        "status",
        "by",
        "accounts",
        "cases",
        "seconds",
    ):
        table.add_column(col)
    for r in rows:
        cases = r["counts"].get("cases", {})
        table.add_row(
            str(r["id"]),
            str(r["as_of"]),
            str(r["engine"]),
            str(r["strategy"]),
            str(r["strategy_hash"])[:8],
            str(r["status"]) + (f" ({r['stage']})" if r["status"] == "running" else ""),
            str(r["actor"]),
            f"{r['counts'].get('accounts', 0):,}",
            "+{opened} ~{updated} -{closed} ={unchanged}".format(**cases) if cases else "",
            f"{sum(r['durations'].values()):.1f}",
        )
    console.print(table)


@app.command("abandon")
def abandon(
    run_id: Annotated[int, typer.Argument(metavar="RUN", help="The run's id (cycle history).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")],
    user: identity.AsUser = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Mark a running run failed now, so the next run need not wait for its heartbeat to go
    stale (its process is gone). Team leads and admins only; audited with the reason."""
    from arrears.engine.service import abandon_run

    settings = get_settings()
    with UnitOfWork(engine_for(settings.database_url)) as uow:
        principal = identity.require(uow.session, user, "cycle.abandon")
        run = abandon_run(session=uow.session, run_id=run_id, actor=principal.actor, reason=reason)
        row = {
            "id": run.id,
            "as_of": run.as_of,
            "status": run.status,
            "stage": run.stage,
            "heartbeat_at": run.heartbeat_at,
            "finished_at": run.finished_at,
            "error": run.error,
        }
        uow.commit()
    if json_out:
        print_json(row)
        return
    console.print(f"cycle run {row['id']} ({row['as_of']}) marked failed: {row['error']}")
