"""`arrears report portfolio --locale`: the report in the bank's language by default (the
settings' locale, zh-CN out of the box), English on request, a language we do not have refused
with one line before anything is read or written."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.realdata]


@pytest.fixture
def small_uci(uci_csv: Path, env: Path) -> Path:
    with uci_csv.open(newline="") as fh:
        rows = [row for _, row in zip(range(302), csv.reader(fh), strict=False)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = env / "uci_300.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_the_report_speaks_the_bank_s_language_unless_told(
    cli: Any, env: Path, small_uci: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arrears.config import get_settings

    monkeypatch.delenv("ARREARS_LOCALE", raising=False)
    get_settings.cache_clear()
    chinese = env / "zh.html"
    result = cli("report", "portfolio", "--uci", str(small_uci), "--out", str(chinese))
    assert result.exit_code == 0, result.stderr
    page = chinese.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    assert "<h1>资产组合报告</h1>" in page
    assert "Portfolio report" not in page

    english = env / "en.html"
    result = cli(
        "report", "portfolio", "--uci", str(small_uci), "--out", str(english), "--locale", "en"
    )
    assert result.exit_code == 0, result.stderr
    assert "<h1>Portfolio report</h1>" in english.read_text(encoding="utf-8")


def test_a_language_we_do_not_have_is_one_line_and_no_file(
    cli: Any, env: Path, small_uci: Path
) -> None:
    out = env / "fr.html"
    result = cli(
        "report", "portfolio", "--uci", str(small_uci), "--out", str(out), "--locale", "fr"
    )
    assert result.exit_code != 0
    assert "--locale must be one of en, zh-CN" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    assert not out.exists()
