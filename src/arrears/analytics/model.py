"""The propensity model: probability an account defaults on (rolls past) its next payment.

LightGBM on the analyst features; a plain gradient-boosting baseline on the raw columns is
trained side by side on the same split, so every evaluation reports both AUCs.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from threadpoolctl import threadpool_limits

from arrears.analytics.features import ALL_FEATURES, CATEGORICAL, LABEL, RAW_FEATURES
from arrears.analytics.profile import ModelProfile
from arrears.kit.errors import BadInput, NotFound

ARTIFACT = "propensity.pkl"
AGE_BANDS = ((0, 30, "<30"), (30, 40, "30-39"), (40, 50, "40-49"), (50, 200, "50+"))


@dataclass
class TrainedModel:
    """What ``model train`` writes: both models, the encoding, the split and the choice made."""

    model: lgb.LGBMClassifier
    baseline: HistGradientBoostingClassifier
    features: list[str]
    vocab: dict[str, list[str]]
    holdout_ids: list[str]
    as_of: date
    params: dict[str, Any]
    seed: int
    holdout: float
    n_jobs: int = 1
    tuning: list[dict[str, Any]] = field(default_factory=list)


def _vocab(frame: pd.DataFrame) -> dict[str, list[str]]:
    return {c: sorted(str(v) for v in frame[c].dropna().unique()) for c in CATEGORICAL}


def encode(features: pd.DataFrame, vocab: dict[str, list[str]]) -> pd.DataFrame:
    """Categoricals as stable integer codes (unseen values become missing)."""
    out = features.copy()
    for column, values in vocab.items():
        codes = {v: float(i) for i, v in enumerate(values)}
        out[column] = out[column].astype(str).map(codes).astype(float)
    return out.astype(float)


def _lgbm(params: dict[str, Any], *, seed: int, n_jobs: int) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(random_state=seed, n_jobs=n_jobs, verbose=-1, **params)


def split(y: pd.Series, *, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train/holdout positions."""
    positions = np.arange(len(y))
    train_pos, holdout_pos = train_test_split(
        positions, test_size=holdout, stratify=y.to_numpy(), random_state=seed
    )
    return np.sort(train_pos), np.sort(holdout_pos)


def tune(
    x: pd.DataFrame, y: pd.Series, profile: ModelProfile
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Pick the grid entry with the best cross-validated AUC on the training part only."""
    folds = StratifiedKFold(profile.cv_folds, shuffle=True, random_state=profile.seed)
    results: list[dict[str, Any]] = []
    for candidate in profile.grid or [{}]:
        params = {**profile.params, **candidate}
        aucs = []
        for fit_pos, val_pos in folds.split(x, y):
            m = _lgbm(params, seed=profile.seed, n_jobs=profile.n_jobs)
            m.fit(x.iloc[fit_pos], y.iloc[fit_pos])
            proba = np.asarray(m.predict_proba(x.iloc[val_pos]))
            aucs.append(roc_auc_score(y.iloc[val_pos], proba[:, 1]))
        results.append({"params": candidate, "cv_auc": float(np.mean(aucs))})
    best = max(results, key=lambda r: r["cv_auc"])
    return {**profile.params, **best["params"]}, results


def train(
    features: pd.DataFrame,
    y: pd.Series,
    *,
    profile: ModelProfile,
    as_of: date,
    holdout: float | None = None,
    seed: int | None = None,
    with_tuning: bool = False,
) -> TrainedModel:
    """Fit the model and the baseline on the training part of a stratified split."""
    if LABEL in features.columns or profile.target in features.columns:
        raise BadInput("the label is among the features")
    labelled = y.notna()
    features, y = features.loc[labelled], y.loc[labelled].astype(int)
    if len(y) < 50 or y.nunique() < 2:
        raise BadInput(f"not enough labelled accounts to train on ({len(y)})")
    holdout = profile.holdout if holdout is None else holdout
    seed = profile.seed if seed is None else seed
    if not 0 < holdout < 1:
        raise BadInput(f"--holdout must be between 0 and 1, got {holdout}")
    profile = profile.model_copy(update={"seed": seed, "holdout": holdout})
    vocab = _vocab(features)
    x = encode(features[list(ALL_FEATURES)], vocab)
    train_pos, holdout_pos = split(y, holdout=holdout, seed=seed)
    x_train, y_train = x.iloc[train_pos], y.iloc[train_pos]
    # OpenMP pools capped too: on a shared machine extra threads spin instead of helping.
    with threadpool_limits(profile.n_jobs):
        params, tuning = (
            tune(x_train, y_train, profile) if with_tuning else (dict(profile.params), [])
        )
        model = _lgbm(params, seed=seed, n_jobs=profile.n_jobs).fit(x_train, y_train)
        baseline = HistGradientBoostingClassifier(random_state=seed).fit(
            x_train[list(RAW_FEATURES)], y_train
        )
    return TrainedModel(
        model=model,
        baseline=baseline,
        features=list(ALL_FEATURES),
        vocab=vocab,
        holdout_ids=[str(i) for i in x.index[holdout_pos]],
        as_of=as_of,
        params=params,
        seed=seed,
        holdout=holdout,
        n_jobs=profile.n_jobs,
        tuning=tuning,
    )


def score_accounts(features: pd.DataFrame, trained: TrainedModel | None = None) -> pd.Series:
    """Probability of default per account (index as given); ``1 - p`` is the propensity to pay.

    ``features`` comes from ``arrears.analytics.features.build_features``; without ``trained``
    the saved model (``load_model()``) scores.
    """
    trained = trained or load_model()
    x = encode(features[trained.features], trained.vocab)
    with threadpool_limits(trained.n_jobs):
        proba = np.asarray(trained.model.predict_proba(x, n_jobs=trained.n_jobs))
    return pd.Series(proba[:, 1], index=features.index, name="score")


def _baseline_scores(features: pd.DataFrame, trained: TrainedModel) -> np.ndarray:
    x = encode(features[list(RAW_FEATURES)], trained.vocab)
    with threadpool_limits(trained.n_jobs):
        return np.asarray(trained.baseline.predict_proba(x)[:, 1])


def lift_table(y: np.ndarray, score: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Deciles by score, highest first: accounts, defaulters, rate, lift, cumulative gain."""
    order = np.argsort(-score, kind="stable")
    groups = np.array_split(order, bins)
    total, base_rate = float(y.sum()), float(y.mean())
    rows, captured = [], 0.0
    for i, members in enumerate(groups, start=1):
        hits = float(y[members].sum())
        captured += hits
        rate = hits / len(members) if len(members) else 0.0
        rows.append(
            {
                "decile": i,
                "accounts": len(members),
                "defaulters": int(hits),
                "rate": round(rate, 4),
                "mean_score": round(float(score[members].mean()), 4),
                "lift": round(rate / base_rate, 3) if base_rate else 0.0,
                "cumulative_gain": round(captured / total, 4) if total else 0.0,
            }
        )
    return rows


def calibration(y: np.ndarray, score: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Mean predicted vs observed default rate in equal-count score bins (lowest first)."""
    order = np.argsort(score, kind="stable")
    return [
        {
            "bin": i,
            "accounts": len(m),
            "mean_predicted": round(float(score[m].mean()), 4),
            "observed_rate": round(float(y[m].mean()), 4),
        }
        for i, m in enumerate(np.array_split(order, bins), start=1)
        if len(m)
    ]


def _safe_auc(y: np.ndarray, score: np.ndarray) -> float | None:
    return round(float(roc_auc_score(y, score)), 4) if len(np.unique(y)) == 2 else None


def group_check(
    y: np.ndarray, score: np.ndarray, sex: pd.Series, age: pd.Series
) -> list[dict[str, Any]]:
    """AUC, mean score and observed rate per sex and per age band (the fairness check)."""
    rows: list[dict[str, Any]] = []
    bands = pd.Series("unknown", index=age.index, dtype=object)
    for low, high, name in AGE_BANDS:
        bands[(age >= low) & (age < high)] = name
    for attribute, values in (("sex", sex.astype(str)), ("age", bands)):
        order = [name for _, _, name in AGE_BANDS] if attribute == "age" else []
        groups = sorted(values.unique(), key=lambda g: (order.index(g) if g in order else 99, g))
        for group in groups:
            mask = (values == group).to_numpy()
            rows.append(
                {
                    "attribute": attribute,
                    "group": group,
                    "accounts": int(mask.sum()),
                    "auc": _safe_auc(y[mask], score[mask]),
                    "mean_score": round(float(score[mask].mean()), 4),
                    "observed_rate": round(float(y[mask].mean()), 4),
                }
            )
    return rows


def evaluate(features: pd.DataFrame, y: pd.Series, trained: TrainedModel) -> dict[str, Any]:
    """Holdout metrics of the model and of the baseline, with lift, calibration and groups."""
    ids = pd.Index(trained.holdout_ids)
    missing = ids.difference(features.index)
    if len(missing):
        raise BadInput(f"{len(missing)} holdout accounts are missing from the data; retrain")
    hold = features.loc[ids]
    truth = y.loc[ids].astype(int).to_numpy()
    score = score_accounts(hold, trained).to_numpy()
    base = _baseline_scores(hold, trained)
    lift = lift_table(truth, score)
    importance = sorted(
        zip(trained.features, trained.model.booster_.feature_importance("gain"), strict=True),
        key=lambda kv: -kv[1],
    )
    return {
        "auc": round(float(roc_auc_score(truth, score)), 4),
        "baseline_auc": round(float(roc_auc_score(truth, base)), 4),
        "n_holdout": len(truth),
        "holdout_default_rate": round(float(truth.mean()), 4),
        "top_decile_lift": lift[0]["lift"],
        "top_decile_gain": lift[0]["cumulative_gain"],
        "lift": lift,
        "calibration": calibration(truth, score),
        "groups": group_check(truth, score, hold["sex"], hold["age"]),
        "params": trained.params,
        "tuning": trained.tuning,
        "seed": trained.seed,
        "holdout": trained.holdout,
        "as_of": trained.as_of.isoformat(),
        "features": trained.features,
        "top_features": [{"feature": f, "gain": round(float(g), 1)} for f, g in importance[:10]],
    }


def save_model(trained: TrainedModel, directory: Path) -> Path:
    """Pickle the trained model under ``directory`` (our own artifact, loaded only by us)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ARTIFACT
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(trained))
    tmp.replace(path)
    return path


def load_model(directory: Path | None = None) -> TrainedModel:
    """The saved model (default directory: ``models/`` next to the warehouse)."""
    if directory is None:
        from arrears.analytics.repository import models_dir

        directory = models_dir()
    path = directory / ARTIFACT
    if not path.is_file():
        raise NotFound(f"no trained model at {path}: run `arrears model train` first")
    trained = pickle.loads(path.read_bytes())
    if not isinstance(trained, TrainedModel):
        raise BadInput(f"{path} is not a model written by `arrears model train`")
    return trained
