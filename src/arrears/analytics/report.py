"""The portfolio report: one self-contained HTML file (plotly.js inlined, no CDN, no network),
in the reader's language: every heading, sentence, table header, chart title and note is a
message id of the workbench's Babel catalog, looked up through the ``words`` the caller passes
(the CLI: ``cli.output.words``), and numbers and dates are written in the reader's locale."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from plotly.offline import get_plotlyjs

from arrears.analytics import charts
from arrears.analytics.charts import PLOTLY_WORDS, Chart, Words, same


@dataclass
class ReportData:
    """Everything the report shows; any part may be empty (its chart then says so)."""

    rolls: Mapping[str, Any] = field(default_factory=dict)
    recovery: Sequence[Mapping[str, Any]] = ()
    kpis: Sequence[Mapping[str, Any]] = ()
    arms: Mapping[str, Any] = field(default_factory=dict)
    model: Mapping[str, Any] | None = None
    agencies: Mapping[str, Any] = field(default_factory=dict)
    # The charged-off book and the recoveries after write-off (chargeoff.service.write_off_report).
    write_off: Mapping[str, Any] | None = None
    source: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rolls": dict(self.rolls),
            "recovery": list(self.recovery),
            "kpis": list(self.kpis),
            "champion_challenger": dict(self.arms),
            "model": dict(self.model) if self.model else None,
            "agencies": dict(self.agencies),
            "write_off": dict(self.write_off) if self.write_off else None,
        }


def report_charts(data: ReportData, *, words: Words = same, locale: str = "en") -> list[Chart]:
    """The report's charts in reading order (the dashboard embeds the same list)."""
    return [
        charts.bucket_mix_chart(data.rolls.get("bucket_mix", []), words=words, locale=locale),
        charts.roll_heatmap(data.rolls, words=words),
        charts.recovery_chart(data.recovery, words=words, locale=locale),
        charts.kpi_chart(data.kpis, words=words),
        charts.champion_chart(data.arms, words=words),
        charts.agency_chart(data.agencies, words=words),
        charts.lift_chart(data.model, words=words),
        charts.calibration_chart(data.model, words=words),
    ]


@dataclass(frozen=True)
class Reader:
    """Who reads the report: their catalog's lookup and their locale (numbers, dates)."""

    words: Words = same
    locale: str = "en"

    @property
    def _babel(self) -> str:
        return self.locale.replace("-", "_")

    def cell(self, value: Any) -> str:
        """A cell as the reader writes it: amounts grouped at two decimals, counts grouped,
        rates at four decimals; text as it is (it is data: codes, names)."""
        if value is None:
            return "–"
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, Decimal):
            return format_decimal(value, format="#,##0.00", locale=self._babel)
        if isinstance(value, int):
            return format_decimal(value, format="#,##0", locale=self._babel)
        if isinstance(value, float):
            return f"{value:.4f}"
        return str(value)

    def when(self, at: datetime) -> str:
        """``November 29, 2026 23:05 UTC`` / ``2026年11月29日 23:05 UTC``."""
        at = at.astimezone(UTC)
        day = format_date(at.date(), format="long", locale=self._babel)
        return f"{day} {format_time(at, 'HH:mm', tzinfo=UTC, locale=self._babel)} UTC"


ENGLISH = Reader()

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;margin:24px;
color:#222;max-width:1200px}
h1{font-size:1.5rem;margin-bottom:0}.meta{color:#666;margin-top:4px}
section{margin:28px 0;padding-top:8px;border-top:1px solid #ddd}
h2{font-size:1.15rem}table{border-collapse:collapse;font-size:.85rem;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f5f5f5}
td:first-child,th:first-child{text-align:left}
.no-data{padding:24px;background:#fafafa;border:1px dashed #bbb;color:#555}
.verdict{font-weight:600}
"""


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    reader: Reader = ENGLISH,
    *,
    words_in: Sequence[int] = (),
) -> str:
    """Headers through the catalog, cells in the reader's number format; the columns in
    ``words_in`` hold words (an arm's role, a verdict) and are translated too, the rest is
    data (codes, names)."""
    head = "".join(f"<th>{html.escape(reader.words(h))}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(_cell(v, i in words_in, reader))}</td>" for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any, is_word: bool, reader: Reader) -> str:
    if is_word and isinstance(value, str):
        return reader.words(value)
    return reader.cell(value)


# The words among the data: the KPI table's total row and the in-house group.
_WORD_VALUES = frozenset({"(all)", "in-house"})


def _word_or_data(value: Any, reader: Reader) -> Any:
    return reader.words(value) if value in _WORD_VALUES else value


def _extras(chart: Chart, data: ReportData, reader: Reader = ENGLISH) -> str:
    if chart.key == "roll-heatmap" and data.rolls.get("transitions"):
        r = data.rolls
        rows = [
            [
                b,
                r["roll_forward_rate"][b],
                r["roll_forward_rate_by_balance"][b],
                r["cure_rate"].get(b),
                r["cure_rate_by_balance"].get(b),
            ]
            for b in r["buckets"]
        ]
        return _table(
            ["bucket", "roll forward", "roll forward (balance)", "cure", "cure (balance)"],
            rows,
            reader,
        )
    if chart.key == "kpis" and data.kpis:
        columns = {
            "collector": "collector",
            "attempts": "attempts",
            "rpc_rate": "RPC rate",
            "promises": "promises",
            "promise_rate": "promise rate",
            "promise_kept_rate": "promise-kept rate",
            "recovered": "recovered",
            "compliance_blocks": "compliance blocks",
            "compliance_overrides": "compliance overrides",
        }
        return _table(
            list(columns.values()),
            [[_word_or_data(row[k], reader) for k in columns] for row in data.kpis],
            reader,
        )
    if chart.key == "arms" and data.arms.get("tests"):
        return arms_tables(data.arms, reader)
    if chart.key == "agencies" and data.agencies.get("groups"):
        keys = {
            "group": "group",
            "cases": "cases",
            "contacted": "contacted",
            "promised": "promised",
            "recovered": "recovered",
            "recovery_rate": "recovery rate",
            "complaints": "complaints",
            "compliance_blocks": "compliance blocks",
        }
        out = _table(
            list(keys.values()),
            [[_word_or_data(row[k], reader) for k in keys] for row in data.agencies["groups"]],
            reader,
        )
        comparisons = data.agencies["champion_challenger"].get("comparisons") or []
        if comparisons:
            out += _table(
                [
                    "challenger agency",
                    "champion agency",
                    "pay-rate difference",
                    "p-value",
                    "verdict",
                ],
                [
                    [
                        c["challenger"],
                        c["champion"],
                        c["pay_rate_difference"],
                        c["p_value"],
                        c["verdict"],
                    ]
                    for c in comparisons
                ],
                reader,
                words_in=(4,),
            )
        return out
    if chart.key == "lift" and data.model:
        m = data.model
        return _table(
            [
                "holdout AUC",
                "baseline AUC",
                "holdout accounts",
                "top-decile lift",
                "top-decile gain",
            ],
            [
                [
                    m["auc"],
                    m["baseline_auc"],
                    m["n_holdout"],
                    m["top_decile_lift"],
                    m["top_decile_gain"],
                ]
            ],
            reader,
        )
    return ""


def arms_tables(results: Mapping[str, Any], reader: Reader = ENGLISH) -> str:
    """Per test: each arm's targeted accounts and pay rate, then each challenger's difference,
    its interval, the verdict and the power the test had (the report and the dashboard)."""
    effect = results.get("minimum_effect")
    parts = []
    for t in results.get("tests") or []:
        parts.append(f"<h3>{html.escape(reader.words('test'))} {html.escape(t['test'])}</h3>")
        parts.append(
            _table(
                ["arm", "role", "targeted", "of the book", "paid", "pay rate", "95% interval"],
                [
                    [
                        a["arm"],
                        a["role"],
                        a["accounts"],
                        a["book_accounts"],
                        a["payers"],
                        a["pay_rate"],
                        "{:.4f} – {:.4f}".format(*a["pay_rate_ci"]),
                    ]
                    for a in t["arms"]
                ],
                reader,
                words_in=(1,),
            )
        )
        if t["comparisons"]:
            parts.append(
                _table(
                    [
                        "challenger",
                        "champion",
                        "difference",
                        "95% interval",
                        "p-value",
                        "verdict",
                        # The catalog holds the words; the effect is filled in after.
                        reader.words("power (+{effect})").format(effect=effect),
                        "detectable at 80%",
                    ],
                    [
                        [
                            c["challenger"],
                            c["champion"],
                            c["pay_rate_difference"],
                            "{:.4f} – {:.4f}".format(*c["pay_rate_difference_ci"]),
                            c["p_value"],
                            c["verdict"],
                            c["power"],
                            c["minimum_detectable_effect"],
                        ]
                        for c in t["comparisons"]
                    ],
                    reader,
                    words_in=(5,),
                )
            )
    return "".join(parts)


def render_html(
    data: ReportData, *, generated_at: datetime, locale: str = "en", words: Words = same
) -> str:
    """The whole page as one string; open it offline in any browser. ``words`` looks a message
    id up in the reader's catalog (``cli.output.words(locale)``); English needs none."""
    reader = Reader(words=words, locale=locale)
    sections = []
    for chart in report_charts(data, words=words, locale=locale):
        sections.append(
            f'<section id="{chart.key}" data-has-data="{str(chart.figure is not None).lower()}">'
            f"<h2>{html.escape(chart.title)}</h2>{chart.html(locale=locale)}"
            f"{_extras(chart, data, reader)}</section>"
        )
    # The source is the word "warehouse" or a file's path (data, shown as code).
    if data.source == "warehouse":
        source = html.escape(words("warehouse"))
    else:
        source = f"<code>{html.escape(data.source)}</code>"
    meta = (
        html.escape(words("Source: {source} · generated {at}"))
        .replace("{source}", source)
        .replace("{at}", html.escape(reader.when(generated_at)))
    )
    return (
        f'<!DOCTYPE html><html lang="{html.escape(locale)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(words('arrears: portfolio report'))}</title>"
        f"<style>{_STYLE}</style><script>{get_plotlyjs()}</script>"
        f"{_plotly_locale(locale, words)}</head><body><main>"
        f"<h1>{html.escape(words('Portfolio report'))}</h1>"
        f'<p class="meta">{meta}</p>'
        + "".join(sections)
        + _write_off_section(data.write_off, reader)
        + "</main></body></html>"
    )


def _plotly_locale(locale: str, words: Words) -> str:
    """Plotly's own tool tips in the reader's language: a locale registered before the charts
    (they name it in their config); English is Plotly's own."""
    if locale == "en":
        return ""
    module = {
        "moduleType": "locale",
        "name": locale,
        "dictionary": {w: words(w) for w in PLOTLY_WORDS},
    }
    # json.dumps escapes nothing HTML would read as the script's end but "</": guard it.
    payload = json.dumps(module, ensure_ascii=False).replace("</", "<\\/")
    return f"<script>Plotly.register({payload});</script>"


def _write_off_section(book: Mapping[str, Any] | None, reader: Reader = ENGLISH) -> str:
    """Recoveries after write-off, apart from cures: they are not the active book's."""
    title = html.escape(reader.words("Charge-off and recoveries after write-off"))
    if not book:
        return (
            f'<section id="write-off" data-has-data="false"><h2>{title}</h2>'
            f"<p>{html.escape(reader.words('No charged-off account yet.'))}</p></section>"
        )
    after = book["after_write_off"]
    keys = {
        "accounts": "accounts",
        "written_off": "written off",
        "recovered": "recovered",
        "agency_commission": "agency commission",
        "legal_costs": "legal costs",
        "net_recovered": "net recovered",
        "recovery_rate": "recovery rate",
        "net_recovery_rate": "net recovery rate",
    }
    charged = book["charged_off"]
    waiting = book["awaiting_write_off"]
    return (
        f'<section id="write-off" data-has-data="true"><h2>{title}</h2>'
        + _table(
            ["charged off", "balance", "awaiting write-off", "balance"],
            [[charged["accounts"], charged["balance"], waiting["accounts"], waiting["balance"]]],
            reader,
        )
        + _table(list(keys.values()), [[after[k] for k in keys]], reader)
        + "</section>"
    )
