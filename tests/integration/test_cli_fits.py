"""The CLI journeys of the README and docs/ at COLUMNS=80, in English and in Chinese: no column
header cut, no character lost (issue 20, item 6)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console, ConsoleOptions, RenderResult

from arrears.cli import output
from arrears.config import get_settings
from arrears.kit.clock import clock
from arrears.vocabulary import LOCALES

Cli = Callable[..., Any]
AS_OF = "2026-11-29"
NOW = datetime(2026, 11, 30, 2, tzinfo=UTC)  # 10:00 in Shanghai, the day after the extract


@pytest.fixture
def headers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The header of every column every command prints, as it asked for it."""
    seen: list[str] = []
    render = output.FitTable.__rich_console__

    def spy(self: output.FitTable, console: Console, options: ConsoleOptions) -> RenderResult:
        seen.extend(console.render_str(str(c.header)).plain for c in self.columns)
        yield from render(self, console, options)

    monkeypatch.setattr(output.FitTable, "__rich_console__", spy)
    monkeypatch.setenv("COLUMNS", "80")
    return seen


def reflowed(text: str) -> str:
    """The output with every wrapped cell joined back and whitespace dropped: a boxed table's
    lines are read column by column between its rule lines, other lines as they are."""
    pieces: list[str] = []
    block: list[list[str]] = []

    def flush() -> None:
        if block:
            width = max(map(len, block))
            pieces.extend("".join(r[i] for r in block if i < len(r)) for i in range(width))
            block.clear()

    for line in text.splitlines():
        if "│" in line or "┃" in line:
            block.append([cell.strip() for cell in re.split("[│┃]", line)])
        else:
            flush()
            pieces.append(line)
    flush()
    return re.sub(r"\s+", "", "\n".join(pieces))


def intact(expected: str, text: str) -> bool:
    return re.sub(r"\s+", "", expected) in reflowed(text)


@pytest.fixture
def book(cli: Cli, env: Path) -> Iterator[dict[str, Any]]:
    """The daily loop of the README on a generated book: synth, import, cycle, staff, allocate."""
    with clock.frozen(NOW):
        out = env / "synth"
        steps = [
            ("portfolio", "synth", "--accounts", "120", "--seed", "1", "--out", str(out)),
            ("import", "portfolio", str(out)),
            ("cycle", "run", "--as-of", AS_OF),
            ("staff", "seed", "--officers", "8", "--seniors", "2", "--leads", "1", "--seed", "7"),
            ("allocate", "--as-of", AS_OF),
        ]
        printed = []
        for step in steps:
            done = cli(*step[:2], *(("--as-of", AS_OF) if step[1] == "synth" else ()), *step[2:])
            assert done.exit_code == 0, (step, done.stderr)
            printed.append((step, done))
        cases = json.loads(cli("cases", "list", "--json").stdout)
        staff = json.loads(cli("staff", "list", "--json").stdout)
        officer = next(
            m["code"]
            for m in staff
            if m["grade"] == "collection_officer" and m["employment_type"] != "agency"
        )
        for user in (("boss", "admin"), ("lee", "collector", "--staff", officer, "--as", "boss")):
            added = cli("users", "add", *user)
            assert added.exit_code == 0, added.stderr
        assert cases
        yield {"printed": printed, "case": cases[0]["id"], "staff": officer}


def journey(case: int, account: str, staff: str) -> list[tuple[str, ...]]:
    return [
        ("portfolio", "summary", "--as-of", AS_OF),
        ("account", "show", account, "--as-of", AS_OF),
        ("cycle", "history"),
        ("staff", "list"),
        ("staff", "show", staff),
        ("agencies", "list"),
        ("agencies", "contracts"),
        ("users", "list"),
        ("cases", "list"),
        ("cases", "next", "--as", "lee"),
        ("cases", "show", str(case)),
        ("cases", "script", str(case)),
        ("compliance", "profiles"),
        ("compliance", "report"),
        ("training", "courses"),
        ("training", "mentors"),
        ("training", "status", staff),
        ("promotion", "report", "--as-of", AS_OF),
        ("report", "rolls"),
        ("report", "recovery"),
        ("report", "kpis"),
        ("report", "arms"),
    ]


PROSE = {("account", "show"), ("cases", "show"), ("cases", "script")}


def test_the_journeys_fit_80_columns_in_both_locales(
    cli: Cli, book: dict[str, Any], headers: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for step, done in book["printed"]:
        assert "…" not in done.stdout, (step, done.stdout)
    with clock.frozen(NOW):
        shown = json.loads(cli("cases", "show", str(book["case"]), "--json").stdout)
        account = shown["accounts"][0]["account_ref"]
        assert shown["customer"]["contact_persons"], "the generated book gives contact persons"
        for locale in LOCALES:
            monkeypatch.setenv("ARREARS_LOCALE", locale)
            get_settings.cache_clear()
            for command in journey(book["case"], account, book["staff"]):
                flags = ("--locale", locale) if command[:2] in PROSE else ()
                headers.clear()
                done = cli(*command, *flags)
                assert done.exit_code == 0, (command, done.stderr)
                assert "…" not in done.stdout + done.stderr, (command, locale, done.stdout)
                for header in headers:
                    assert header in done.stdout, (command, header, done.stdout)
                assert max(map(len, done.stdout.splitlines()), default=0) <= 80
            _prose_is_whole(cli, book["case"], account, locale)


def _prose_is_whole(cli: Cli, case: int, account: str, locale: str) -> None:
    """Every explanation of what is owed, in the locale asked for, comes out whole."""
    words = output.words(locale)  # type: ignore[arg-type]
    seen = json.loads(
        cli("account", "show", account, "--as-of", AS_OF, "--locale", locale, "--json").stdout
    )
    text = cli("account", "show", account, "--as-of", AS_OF, "--locale", locale).stdout
    for item in seen["breakdown"]["items"]:
        assert intact(item["explanation"], text), (item["explanation"], text)
    shown = json.loads(cli("cases", "show", str(case), "--json").stdout)
    text = cli("cases", "show", str(case), "--locale", locale).stdout
    for part in shown["accounts"]:
        for item in part["items"]:
            assert intact(item["explanation"][locale], text), (item, text)
            assert f"{words(item['kind'])} {item['amount']}" in text
    for label in ("Account", "Total due", "Contact persons"):
        assert words(label) in text
    for person in shown["customer"]["contact_persons"]:
        assert f"{person['id']} {person['name']} ({words(person['relation'])})" in text, text
    if locale == "zh-CN":
        assert "联系人" in text
        assert "合计应还" in text
