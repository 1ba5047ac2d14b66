"""The figures ``portfolio synth`` is calibrated to, derived from the real UCI data.

Status space: the card system's repayment status, -2 (no consumption), -1 (paid in full),
0 (revolving), 1..8 (cycles late; 7 and above is bucket M7+). ``initial`` counts the April 2005
statuses (PAY_6); ``transitions[j]`` counts the clients going from status a in month j to status b
in month j+1 (April->May ... August->September). Applying the five monthly matrices to the April
mix gives back the September mix (PAY_0) in expectation; a single pooled matrix would not, because
the UCI data's roll rates are not stationary (status 1 is recorded almost only in September).
"""

from __future__ import annotations

import csv
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from arrears.kit import config_file
from arrears.vocabulary import BUCKETS

STATUSES = tuple(range(-2, 9))  # -2 .. 8
MONTH_COLUMNS = ("PAY_6", "PAY_5", "PAY_4", "PAY_3", "PAY_2", "PAY_0")
HERE = Path(__file__).parent / "profiles"


def bucket_index(status: int) -> int:
    """-2, -1, 0 -> M0 (0); k -> Mk; k >= 7 -> M7+ (7)."""
    return 0 if status <= 0 else min(status, 7)


class Calibration(BaseModel):
    """Counts from the real data; probabilities are derived, never stored."""

    model_config = ConfigDict(extra="forbid")

    source: str
    statuses: list[int]
    initial: list[int]
    transitions: list[list[list[int]]]
    final: list[int]

    @model_validator(mode="after")
    def _shapes(self) -> Calibration:
        n = len(self.statuses)
        if len(self.initial) != n or len(self.final) != n:
            raise ValueError("initial and final need one count per status")
        for j, matrix in enumerate(self.transitions):
            if len(matrix) != n or any(len(row) != n for row in matrix):
                raise ValueError(f"transitions[{j}] must be {n}x{n}")
        return self

    def bucket_mix(self, counts: list[int]) -> list[float]:
        """Share of each bucket M0..M7+ for counts by status."""
        total = sum(counts) or 1
        mix = [0.0] * len(BUCKETS)
        for status, count in zip(self.statuses, counts, strict=True):
            mix[bucket_index(status)] += count / total
        return mix


def calibrate_from_uci(path: Path) -> Calibration:
    """Count the April mix, the monthly status transitions and the September mix in the CSV."""
    index = {s: i for i, s in enumerate(STATUSES)}
    n = len(STATUSES)
    initial = [0] * n
    final = [0] * n
    transitions = [[[0] * n for _ in range(n)] for _ in range(len(MONTH_COLUMNS) - 1)]
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            path_ = [index[min(int(row[c]), 8)] for c in MONTH_COLUMNS]
            initial[path_[0]] += 1
            final[path_[-1]] += 1
            for j in range(len(path_) - 1):
                transitions[j][path_[j]][path_[j + 1]] += 1
    return Calibration(
        source="UCI default of credit card clients (Taiwan 2005), PAY_6..PAY_0",
        statuses=list(STATUSES),
        initial=initial,
        transitions=transitions,
        final=final,
    )


def dump_yaml(calibration: Calibration) -> str:
    header = (
        "# Derived from the real UCI data by arrears.portfolio.synth_calibration.calibrate_from_uci"
        "\n# (counts of clients; tests/unit/test_synth_calibration.py recomputes and compares).\n"
        "# initial: April 2005 statuses; transitions[j]: month j -> j+1; final: September 2005.\n"
    )
    return header + yaml.safe_dump(
        calibration.model_dump(), sort_keys=False, width=200, default_flow_style=None
    )


def load_calibration(name_or_path: str = "synth_calibration") -> Calibration:
    """The embedded calibration (by name) or another one (by path)."""
    return config_file.load(Calibration, HERE, name_or_path, "calibration")
