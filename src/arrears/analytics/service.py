"""Analytics operations over a DuckDB connection (the warehouse, or the UCI file loaded in memory).

Read-only: nothing here writes the store or the warehouse; ``train`` writes only the model file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from sqlalchemy.orm import Session

from arrears.analytics import repository
from arrears.analytics.agencies import performance
from arrears.analytics.champion import MINIMUM_EFFECT, experiment_results
from arrears.analytics.features import build_features, labels
from arrears.analytics.model import TrainedModel, evaluate, save_model, score_accounts, train
from arrears.analytics.profile import load_model_profile
from arrears.analytics.recovery import recovery_curves
from arrears.analytics.rolls import bucket_mix, roll_rates
from arrears.kit.errors import BadInput


def rolls(*, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Roll-rate matrices (accounts, balance), rates, cure rates, per-month figures, bucket mix."""
    result = roll_rates(repository.transitions(con))
    result["bucket_mix"] = bucket_mix(repository.bucket_counts(con))
    return result


def recovery(*, con: duckdb.DuckDBPyConnection, horizon: int = 12) -> list[dict[str, Any]]:
    """Recovery and cure curves by month of entry into delinquency."""
    cohorts, payments, status = repository.recovery_rows(con, horizon=horizon)
    return recovery_curves(cohorts, payments, status)


def strategy_champions() -> dict[str, str]:
    """The configured strategy's test and its champion (its experiment's first arm), if any."""
    from arrears.config import get_settings
    from arrears.strategy.loader import load_strategy

    try:
        experiment = load_strategy(get_settings().strategy).strategy.experiment
    except BadInput:
        return {}
    return {experiment.test: experiment.arms[0].name} if experiment is not None else {}


def champion_challenger(
    *,
    con: duckdb.DuckDBPyConnection,
    horizon_days: int = 30,
    champion: str | None = None,
    minimum_effect: float = MINIMUM_EFFECT,
) -> dict[str, Any]:
    """Per test and arm, on the population the test targets (empty until the cycle writes
    decisions).

    The champion of a test is ``champion`` when that arm is in it, else the configured
    strategy's first arm for its test, else an arm named ``champion``/``control``.
    """
    if not 0 < minimum_effect < 1:
        raise BadInput(
            f"the minimum effect is a pay-rate difference between 0 and 1: {minimum_effect}"
        )
    outcomes = repository.arm_outcomes(con, horizon_days=horizon_days)
    champions = strategy_champions() if outcomes else {}
    if champion is not None:
        champions = {str(r["test"]): champion for r in outcomes if r["arm"] == champion}
    result = experiment_results(
        outcomes,
        champions=champions,
        book=repository.arm_book_counts(con),
        minimum_effect=minimum_effect,
    )
    result["horizon_days"] = horizon_days
    return result


def training_set(
    *, con: duckdb.DuckDBPyConnection, as_of: date | None = None
) -> tuple[pd.DataFrame, pd.Series, date]:
    """Features as of ``as_of`` (default: the newest status report) and the back-testing label."""
    as_of = as_of or repository.latest_report_date(con)
    frames = repository.model_frames(con, as_of=as_of, labelled=True)
    features = build_features(frames, as_of)
    y = labels(frames, features.index)
    if y.notna().sum() == 0:
        raise BadInput("no account has a back-testing label (uci_outcomes): nothing to train on")
    return features, y, as_of


def features_as_of(*, con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """Model features for every account from warehouse tables dated on or before ``as_of``."""
    return build_features(repository.model_frames(con, as_of=as_of, labelled=False), as_of)


def score_warehouse(
    *, con: duckdb.DuckDBPyConnection, as_of: date, trained: TrainedModel | None = None
) -> pd.Series:
    """Probability of default per account as of a date (what the cycle's score bands read)."""
    return score_accounts(features_as_of(con=con, as_of=as_of), trained)


def train_model(
    *,
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    holdout: float | None = None,
    seed: int | None = None,
    tune: bool = False,
    profile: str = "propensity",
    as_of: date | None = None,
) -> tuple[TrainedModel, dict[str, Any], Path]:
    """Train on the labelled accounts, save the model, return it with its holdout evaluation."""
    features, y, as_of = training_set(con=con, as_of=as_of)
    trained = train(
        features,
        y,
        profile=load_model_profile(profile),
        as_of=as_of,
        holdout=holdout,
        seed=seed,
        with_tuning=tune,
    )
    path = save_model(trained, directory)
    return trained, evaluate(features, y, trained), path


def evaluate_model(*, con: duckdb.DuckDBPyConnection, trained: TrainedModel) -> dict[str, Any]:
    """Re-score the saved model's holdout accounts from the data and report the metrics."""
    features, y, _ = training_set(con=con, as_of=trained.as_of)
    return evaluate(features, y, trained)


def agency_performance(*, session: Session) -> dict[str, Any]:
    """Agencies against each other and in-house work on comparable cases (read-only)."""
    cases, events, complaints = repository.agency_rows(session)
    return performance(cases, events, complaints)
