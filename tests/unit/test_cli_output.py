"""The CLI's tables fit any terminal: no header cut, no character lost, Chinese measured in
cells; every command prints its tables through the one output layer."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from arrears.cli import output
from arrears.kit.errors import BadInput

CLI = Path(output.__file__).parent
HEADERS = ("id", "as_of", "engine", "strategy", "hash", "status", "by", "accounts", "cases")
ROW = ("1", "2026-11-29", "duckdb", "default", "112fa14f", "succeeded", "system", "300", "+71 ~0")
WHY = (
    "透支利息：未还本金 10,811.36 CNY × 日利率 0.05% × 逾期 60 天（2026-11-29 报告逾期 2 期，"
    "其后又 0 天）= 324.34 CNY。费用不计息。"
)


def render(table: output.FitTable, width: int) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(table)
    return console.export_text()


def visible(text: str) -> Counter[str]:
    return Counter(ch for ch in text if not ch.isspace())


def test_a_wide_table_at_80_columns_keeps_every_header_and_value_whole() -> None:
    table = output.table(*HEADERS, title="cycle runs")
    table.add_row(*ROW)
    text = render(table, 80)
    assert "…" not in text
    assert all(header in text for header in HEADERS), text
    assert all(value in text for value in ROW), text
    assert "┃" not in text  # too wide for a box, narrow enough for plain columns


def test_chinese_explanations_wrap_between_characters_and_lose_none() -> None:
    table = output.table(title="欠款明细 (cn-card)", show_lines=True)
    for header in ("item", "amount", "why"):
        table.add_column(header)
    table.add_row("interest", "324.34", WHY)
    table.add_row("应还合计", "11,255.70", "CNY")
    for width in (80, 60, 40, 24):
        text = render(table, width)
        assert "…" not in text, text
        assert max(map(cell_len, text.splitlines())) <= width
        assert visible(text) >= visible(WHY + "应还合计" + "item" + "amount" + "why"), text
        for header in ("item", "amount", "why"):
            assert re.search(rf"(^|\W){header}(\W|$)", text, re.M), (width, text)


def test_a_narrow_terminal_gets_one_record_per_row() -> None:
    table = output.table(*HEADERS)
    table.add_row(*ROW)
    table.add_row(*ROW)
    lines = render(table, 40).splitlines()
    assert [line.split()[0] for line in lines if line.strip()] == list(HEADERS) * 2
    assert lines[0].split() == ["id", "1"]


def test_a_table_that_fits_stays_a_boxed_table() -> None:
    table = output.table("bucket", "accounts")
    table.add_row("M1", "34")
    assert "┃ bucket ┃ accounts ┃" in render(table, 80)


CELL = st.text(
    alphabet=st.sampled_from("abcxyz0123456789-.,:()账单逾期还款日利息费用合计（）：。 "),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(min_value=20, max_value=140),
    headers=st.lists(
        st.from_regex(r"[a-z][a-z_ ]{0,13}[a-z]", fullmatch=True),
        min_size=1,
        max_size=8,
        unique=True,
    ),
    cells=st.lists(CELL, min_size=8, max_size=8),
)
def test_no_header_is_cut_and_no_character_lost_at_any_width(
    width: int, headers: list[str], cells: list[str]
) -> None:
    table = output.table(*headers)
    table.add_row(*cells[: len(headers)])
    text = render(table, width)
    assert "…" not in text
    assert visible(text) >= visible("".join(headers) + "".join(cells[: len(headers)]))
    if width >= max(map(len, headers)) + 2:
        for header in headers:
            assert header in text, (header, text)


def test_every_command_prints_tables_through_the_output_layer() -> None:
    offenders = [
        f"{path.name}: {line.strip()}"
        for path in sorted(CLI.glob("*.py"))
        if path.name != "output.py"
        for line in path.read_text("utf-8").splitlines()
        if re.search(r"rich\.table|\bTable\(|ellipsis", line)
    ]
    assert offenders == []


def test_the_locale_of_prose_is_checked() -> None:
    assert output.resolve_locale("zh-CN") == "zh-CN"
    with pytest.raises(BadInput, match="--locale must be one of en, zh-CN"):
        output.resolve_locale("klingon")
    assert output.words("zh-CN")("Contact persons") == "联系人"
    assert output.words("en")("Contact persons") == "Contact persons"
    # Every label `cases show` prints has its Chinese.
    labels = re.findall(r"_\('([^']+)'\)", (CLI / "cases.py").read_text("utf-8"))
    assert {"Account", "Total due", "Contact persons", "locked", "unlocked"} <= set(labels)
    assert [label for label in labels if output.words("zh-CN")(label) == label] == []


def test_an_error_line_keeps_brackets_rich_would_read_as_markup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from arrears.cli.main import run

    assert run(["account", "show", "A1", "--locale", "[bold]zh[/bold]"]) == 2
    assert "got '[bold]zh[/bold]'" in capsys.readouterr().err


def test_a_result_line_is_text_not_markup(capsys: pytest.CaptureFixture[str]) -> None:
    from arrears.cli import _cases

    _cases.show({}, False, lambda: "Dear [bold]Wang[/bold], [i]this[/i] is the card center")
    assert "Dear [bold]Wang[/bold], [i]this[/i] is the card center" in capsys.readouterr().out
