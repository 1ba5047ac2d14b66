"""The portfolio report: one self-contained HTML file (plotly.js inlined, no CDN, no network)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from plotly.offline import get_plotlyjs

from arrears.analytics import charts
from arrears.analytics.charts import Chart


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


def report_charts(data: ReportData) -> list[Chart]:
    """The report's charts in reading order (the dashboard embeds the same list)."""
    return [
        charts.bucket_mix_chart(data.rolls.get("bucket_mix", [])),
        charts.roll_heatmap(data.rolls),
        charts.recovery_chart(data.recovery),
        charts.kpi_chart(data.kpis),
        charts.champion_chart(data.arms),
        charts.agency_chart(data.agencies),
        charts.lift_chart(data.model),
        charts.calibration_chart(data.model),
    ]


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


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _extras(chart: Chart, data: ReportData) -> str:
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
            ["bucket", "roll forward", "roll forward (balance)", "cure", "cure (balance)"], rows
        )
    if chart.key == "kpis" and data.kpis:
        keys = [
            "collector",
            "attempts",
            "rpc_rate",
            "promises",
            "promise_rate",
            "promise_kept_rate",
            "recovered",
            "compliance_blocks",
            "compliance_overrides",
        ]
        return _table(keys, [[row[k] for k in keys] for row in data.kpis])
    if chart.key == "arms" and data.arms.get("tests"):
        return arms_tables(data.arms)
    if chart.key == "agencies" and data.agencies.get("groups"):
        keys = [
            "group",
            "cases",
            "contacted",
            "promised",
            "recovered",
            "recovery_rate",
            "complaints",
            "compliance_blocks",
        ]
        out = _table(keys, [[row[k] for k in keys] for row in data.agencies["groups"]])
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
        )
    return ""


def arms_tables(results: Mapping[str, Any]) -> str:
    """Per test: each arm's targeted accounts and pay rate, then each challenger's difference,
    its interval, the verdict and the power the test had (the report and the dashboard)."""
    effect = results.get("minimum_effect")
    parts = []
    for t in results.get("tests") or []:
        parts.append(f"<h3>test {html.escape(t['test'])}</h3>")
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
                        f"power (+{effect})",
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
                )
            )
    return "".join(parts)


def render_html(data: ReportData, *, generated_at: datetime) -> str:
    """The whole page as one string; open it offline in any browser."""
    sections = []
    for chart in report_charts(data):
        sections.append(
            f'<section id="{chart.key}" data-has-data="{str(chart.figure is not None).lower()}">'
            f"<h2>{html.escape(chart.title)}</h2>{chart.html()}{_extras(chart, data)}</section>"
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>arrears: portfolio report</title>"
        f"<style>{_STYLE}</style><script>{get_plotlyjs()}</script></head><body>"
        "<h1>Portfolio report</h1>"
        f'<p class="meta">Source: {html.escape(data.source)} · generated '
        f"{generated_at:%Y-%m-%d %H:%M} UTC</p>"
        + "".join(sections)
        + _write_off_section(data.write_off)
        + "</body></html>"
    )


def _write_off_section(book: Mapping[str, Any] | None) -> str:
    """Recoveries after write-off, apart from cures: they are not the active book's."""
    if not book:
        return (
            '<section id="write-off" data-has-data="false"><h2>Charge-off and recoveries after '
            "write-off</h2><p>No charged-off account yet.</p></section>"
        )
    after = book["after_write_off"]
    keys = ["accounts", "written_off", "recovered", "agency_commission", "legal_costs",
            "net_recovered", "recovery_rate", "net_recovery_rate"]  # fmt: skip
    charged = book["charged_off"]
    waiting = book["awaiting_write_off"]
    return (
        '<section id="write-off" data-has-data="true"><h2>Charge-off and recoveries after '
        "write-off</h2>"
        + _table(
            ["charged off", "balance", "awaiting write-off", "balance"],
            [[charged["accounts"], charged["balance"], waiting["accounts"], waiting["balance"]]],
        )
        + _table(keys, [[after[k] for k in keys]])
        + "</section>"
    )
