"""Analytics on the real UCI data, recomputed independently from the raw CSV (plain csv module)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from arrears.config import get_settings
from arrears.portfolio.uci import read_uci

# `make test` runs each file on one worker (`--dist loadfile`): the module fixtures train once.
pytestmark = [pytest.mark.realdata, pytest.mark.slow]

# Oldest to newest: April ... September 2005.
STATUS = ["PAY_6", "PAY_5", "PAY_4", "PAY_3", "PAY_2", "PAY_0"]
BILL = ["BILL_AMT6", "BILL_AMT5", "BILL_AMT4", "BILL_AMT3", "BILL_AMT2", "BILL_AMT1"]
PAID = ["PAY_AMT6", "PAY_AMT5", "PAY_AMT4", "PAY_AMT3", "PAY_AMT2", "PAY_AMT1"]


def _bucket(status: int) -> str:
    if status <= 0:
        return "M0"
    return "M7+" if status >= 7 else f"M{status}"


@pytest.fixture(scope="module")
def csv_rows(uci_csv: Path) -> list[dict[str, str]]:
    with uci_csv.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, uci_csv: Path) -> Iterator[Path]:
    """A warehouse holding the UCI tables as the importer shapes them; env pointed at it."""
    folder = tmp_path_factory.mktemp("analytics")
    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    for name, table in read_uci(uci_csv).items():
        con.register("t", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM t")
        con.unregister("t")
    con.close()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARREARS_WAREHOUSE", str(folder / "warehouse.duckdb"))
        mp.setenv("ARREARS_DATABASE_URL", f"sqlite:///{folder / 'store.db'}")
        get_settings.cache_clear()
        yield folder
    get_settings.cache_clear()


def arrears(*args: str) -> tuple[int, str, str]:
    from arrears.cli.main import run

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()


def arrears_json(*args: str) -> Any:
    code, out, err = arrears(*args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def rolls(workdir: Path) -> dict[str, Any]:
    result: dict[str, Any] = arrears_json("report", "rolls")
    return result


def test_roll_matrix_equals_a_count_from_the_csv(
    rolls: dict[str, Any], csv_rows: list[dict[str, str]]
) -> None:
    pairs: Counter[tuple[str, str]] = Counter()
    balance: Counter[tuple[str, str]] = Counter()
    for row in csv_rows:
        for i in range(5):
            key = (_bucket(int(row[STATUS[i]])), _bucket(int(row[STATUS[i + 1]])))
            pairs[key] += 1
            balance[key] += max(Decimal(row[BILL[i]]), Decimal(0))
    assert rolls["transitions"] == 5
    assert sum(pairs.values()) == 5 * 30_000
    matrix = rolls["matrix"]
    got = {(f, t): n for f, row in matrix.items() for t, n in row.items() if n}
    assert got == dict(pairs)
    got_balance = {
        (f, t): Decimal(v)
        for f, row in rolls["matrix_by_balance"].items()
        for t, v in row.items()
        if Decimal(v)
    }
    assert got_balance == {k: v for k, v in balance.items() if v}
    # the last month's mix is the file's own PAY_0 distribution (README known figures)
    last = rolls["bucket_mix"][-1]["accounts"]
    assert last["M1"] == 3688
    assert last["M7+"] == 9 + 19


def test_uci_flag_reads_the_raw_file_the_same_way(rolls: dict[str, Any], uci_csv: Path) -> None:
    assert arrears_json("report", "rolls", "--uci", str(uci_csv))["matrix"] == rolls["matrix"]


def test_recovery_cohorts_equal_a_count_from_the_csv(
    workdir: Path, csv_rows: list[dict[str, str]]
) -> None:
    curves = {c["entry_month"]: c for c in arrears_json("report", "recovery")}
    # Entry: current one month, late the next; the status of month m is reported on the 1st of m+1.
    for i in range(1, 6):
        entered = [r for r in csv_rows if int(r[STATUS[i]]) >= 1 and int(r[STATUS[i - 1]]) <= 0]
        month = f"2005-{i + 5:02d}-01"
        curve = curves[month]
        assert curve["accounts"] == len(entered)
        assert Decimal(curve["balance"]) == sum(
            max(Decimal(r[BILL[i]]), Decimal(0)) for r in entered
        )
        if i < 5:  # paid in the month after the status month: the first month of recovery
            first = curve["points"][0]
            assert Decimal(first["recovered"]) == sum(Decimal(r[PAID[i + 1]]) for r in entered)
            cured = sum(1 for r in entered if int(r[STATUS[i + 1]]) <= 0)
            assert first["cure_rate"] == round(cured / len(entered), 4)


@pytest.fixture(scope="module")
def trained(workdir: Path) -> dict[str, Any]:
    result: dict[str, Any] = arrears_json("model", "train", "--holdout", "0.3", "--seed", "7")
    return result


def test_model_beats_the_target_and_the_raw_column_baseline(trained: dict[str, Any]) -> None:
    assert trained["n_holdout"] == 9000
    assert trained["auc"] >= 0.79
    assert trained["auc"] > trained["baseline_auc"]
    assert "defaulted" not in trained["features"]
    assert not any("default" in f for f in trained["features"])
    assert trained["top_decile_lift"] > 2.5
    assert len(trained["lift"]) == 10
    assert sum(row["accounts"] for row in trained["lift"]) == 9000
    assert {g["attribute"] for g in trained["groups"]} == {"sex", "age"}
    assert Path(trained["model"]).is_file()


def test_evaluate_rescores_the_saved_model(trained: dict[str, Any]) -> None:
    evaluated = arrears_json("model", "evaluate")
    for key in ("auc", "baseline_auc", "n_holdout", "top_decile_lift"):
        assert evaluated[key] == trained[key]
    assert [b["observed_rate"] for b in evaluated["calibration"]] == [
        b["observed_rate"] for b in trained["calibration"]
    ]


def test_portfolio_report_is_one_offline_file(trained: dict[str, Any], workdir: Path) -> None:
    out = workdir / "report.html"
    code, _, err = arrears("report", "portfolio", "--out", str(out), "--locale", "en")
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    from plotly.offline import get_plotlyjs

    assert get_plotlyjs() in text  # the library itself is inlined
    page = text.replace(get_plotlyjs(), "")
    assert "<script src=" not in page
    assert "cdn." not in page
    for key in ("bucket-mix", "roll-heatmap", "recovery", "kpis", "arms", "lift", "calibration"):
        assert f'id="{key}"' in text
    assert "No contact attempts recorded yet." in text  # empty store: said plainly
    assert 'id="lift" data-has-data="true"' in text


def test_the_cycle_can_score_the_warehouse_as_of_a_date(
    trained: dict[str, Any], workdir: Path
) -> None:
    from datetime import date

    from sklearn.metrics import roc_auc_score

    from arrears.analytics import repository, service
    from arrears.analytics.model import load_model

    model = load_model()
    with repository.warehouse() as con:
        scores = service.score_warehouse(con=con, as_of=date(2005, 10, 1))
        label = (
            con.execute("SELECT account_id, defaulted FROM uci_outcomes")
            .df()
            .set_index("account_id")
        )
    assert len(scores) == 30_000
    assert scores.between(0, 1).all()
    holdout = scores.loc[model.holdout_ids]
    truth = label.loc[model.holdout_ids, "defaulted"].astype(int)
    assert round(float(roc_auc_score(truth, holdout)), 4) == trained["auc"]
    # as of an earlier date the newest month is simply not seen: different, still valid scores
    with repository.warehouse() as con:
        earlier = service.score_warehouse(con=con, as_of=date(2005, 8, 31))
    assert len(earlier) == 30_000
    assert not earlier.equals(scores)
