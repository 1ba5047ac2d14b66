"""Analytics commands fail with one clear line, never a traceback, and change nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arrears.analytics.model import tune
from arrears.analytics.profile import load_model_profile


def test_without_a_warehouse_the_reports_say_what_to_do(cli: Any, env: Path) -> None:
    for args in (("report", "rolls"), ("report", "recovery"), ("report", "arms")):
        result = cli(*args)
        assert result.exit_code != 0
        assert "no warehouse" in result.stderr
        assert "import" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (env / "warehouse.duckdb").exists()


def test_model_commands_refuse_bad_input(cli: Any, env: Path, tmp_path: Path) -> None:
    result = cli("model", "evaluate")
    assert result.exit_code != 0
    assert "model train" in result.stderr
    result = cli("model", "train", "--holdout", "1.5")
    assert result.exit_code == 2
    assert "--holdout" in result.stderr
    bad = tmp_path / "not-uci.csv"
    bad.write_text("a,b\n1,2\n")
    result = cli("model", "train", "--uci", str(bad))
    assert result.exit_code == 2
    assert "not the UCI layout" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (env / "models").exists()


def test_tuning_picks_by_cross_validation_on_the_training_part_only() -> None:
    rng = np.random.default_rng(7)
    x = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = pd.Series((x["a"] + rng.normal(scale=0.5, size=300) > 0).astype(int))
    profile = load_model_profile().model_copy(
        update={"grid": [{"n_estimators": 5}, {"n_estimators": 40}], "params": {"num_leaves": 4}}
    )
    params, results = tune(x, y, profile)
    assert len(results) == 2
    best = max(results, key=lambda r: r["cv_auc"])
    assert params["n_estimators"] == best["params"]["n_estimators"]
    assert params["num_leaves"] == 4
    assert all(0.5 < r["cv_auc"] <= 1 for r in results)


def test_a_warehouse_that_cannot_be_opened_is_one_clear_line(cli: Any, env: Path) -> None:
    (env / "warehouse.duckdb").write_text("not a database")
    result = cli("report", "rolls")
    assert result.exit_code != 0
    assert "cannot open the warehouse" in result.stderr
    assert "Traceback" not in result.stderr
