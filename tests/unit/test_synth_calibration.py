"""The embedded calibration is what the real data says, and chaining it gives the target mix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from arrears.portfolio.synth_calibration import calibrate_from_uci, load_calibration


@pytest.mark.realdata
def test_embedded_figures_are_recomputed_from_the_csv(uci_csv: Path) -> None:
    assert calibrate_from_uci(uci_csv) == load_calibration()


def test_monthly_chain_reproduces_the_september_mix() -> None:
    cal = load_calibration()
    mix = np.asarray(cal.initial, float)
    for matrix in cal.transitions:
        m = np.asarray(matrix, float)
        rows = m.sum(axis=1, keepdims=True)
        mix = mix @ np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    np.testing.assert_allclose(mix, cal.final, atol=1e-6)
    assert sum(cal.final) == sum(cal.initial) == 30_000
    # The README's September figures: 23,182 current (M0), 3,688 at status 1.
    assert cal.bucket_mix(cal.final)[0] == pytest.approx(23_182 / 30_000)
    assert cal.final[cal.statuses.index(1)] == 3688
