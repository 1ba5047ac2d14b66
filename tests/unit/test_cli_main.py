"""The CLI entry point: clear errors instead of tracebacks, and groups that load only when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from arrears.cli.main import GROUPS, run
from arrears.config import get_settings


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["no-such-group"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_missing_option_is_a_usage_error_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["allocate"]) == 2
    err = capsys.readouterr().err
    assert "--as-of" in err
    assert "Traceback" not in err


def test_a_store_without_schema_says_to_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARREARS_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    try:
        assert run(["portfolio", "summary", "--json"]) == 1
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "arrears db upgrade" in err
    assert "Traceback" not in err


def test_every_group_loads_and_has_help() -> None:
    for name in GROUPS:
        assert run([name, "--help"]) == 0, name


def test_pay_is_a_hidden_alias_of_compensation_that_says_its_new_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["--help"]) == 0
    listed = capsys.readouterr().out.split("Commands:")[1].splitlines()
    names = {line.split()[0] for line in listed if line.startswith("  ") and line[2] != " "}
    assert "compensation" in names
    assert "pay" not in names
    assert run(["compensation", "statement", "--help"]) == 0
    new = capsys.readouterr()
    assert run(["pay", "statement", "--help"]) == 0
    old = capsys.readouterr()
    assert "--month" in old.out  # the alias reaches the same command
    assert new.err == ""
    assert old.err.strip().splitlines() == [
        "note: `arrears pay` is now `arrears compensation`; the old name goes in the next release"
    ]


def test_a_light_command_does_not_import_the_model_stack() -> None:
    code = (
        "import sys\n"
        "from arrears.cli.main import run\n"
        "run(['db', '--help'])\n"
        "print('LOADED=' + ','.join(m for m in ('lightgbm', 'sklearn', 'pyspark', 'fastapi') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "LOADED="
