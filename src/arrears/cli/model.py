"""`arrears model`: The propensity model: train, evaluate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from arrears.analytics import repository, service
from arrears.analytics.model import load_model
from arrears.cli import output
from arrears.cli.output import console, print_json, progress
from arrears.kit.dates import parse_day
from arrears.kit.errors import BadInput

app = typer.Typer(help="The propensity model: train, evaluate.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
UciOpt = Annotated[
    Path | None,
    typer.Option("--uci", help="Read the raw UCI CSV instead of the warehouse.", dir_okay=False),
]


def _show(metrics: dict[str, Any]) -> None:
    console.print(
        f"holdout AUC [bold]{metrics['auc']:.4f}[/bold] · baseline (raw columns) "
        f"{metrics['baseline_auc']:.4f} · {metrics['n_holdout']:,} holdout accounts · "
        f"top-decile lift {metrics['top_decile_lift']:.2f}"
    )
    table = output.table(title="Lift by score decile (holdout)")
    for col in ("decile", "accounts", "defaulters", "rate", "lift", "cumulative gain"):
        table.add_column(col, justify="right")
    for row in metrics["lift"]:
        table.add_row(
            str(row["decile"]),
            f"{row['accounts']:,}",
            f"{row['defaulters']:,}",
            f"{100 * row['rate']:.1f}%",
            f"{row['lift']:.2f}",
            f"{100 * row['cumulative_gain']:.1f}%",
        )
    console.print(table)


@app.command()
def train(
    holdout: Annotated[float, typer.Option(help="Share held out, stratified.")] = 0.3,
    seed: Annotated[int, typer.Option(help="Seed of the split and the models.")] = 7,
    tune: Annotated[
        bool,
        typer.Option("--tune", help="Pick parameters by cross-validation (training part only)."),
    ] = False,
    profile: Annotated[str, typer.Option(help="Model profile name or YAML path.")] = "propensity",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Features as of YYYY-MM-DD.")] = None,
    uci: UciOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Train the model and the raw-column baseline side by side, save it, print holdout metrics."""
    if not 0 < holdout < 1:
        raise BadInput(f"--holdout must be between 0 and 1, got {holdout}")
    day = parse_day(as_of, "--as-of")
    with progress(quiet=json_out) as bar, repository.source(uci) as con:
        task = bar.add_task("training", total=1)
        _, metrics, path = service.train_model(
            con=con,
            directory=repository.models_dir(),
            holdout=holdout,
            seed=seed,
            tune=tune,
            profile=profile,
            as_of=day,
        )
        bar.advance(task)
    if json_out:
        print_json({"model": str(path), **metrics})
        return
    console.print(f"saved {path}")
    _show(metrics)


@app.command()
def evaluate(json_out: JsonOpt = False, uci: UciOpt = None) -> None:
    """Re-score the saved model's holdout accounts: AUC, baseline AUC, lift, calibration."""
    trained = load_model()
    with repository.source(uci) as con:
        metrics = service.evaluate_model(con=con, trained=trained)
    if json_out:
        print_json(metrics)
        return
    _show(metrics)
