"""The simulation's outputs: JSON, and one offline HTML page (the `report portfolio` toolkit)."""

from __future__ import annotations

import html
import json
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from arrears.analytics.charts import Chart
from arrears.simulation import actions
from arrears.simulation.run import SimulationResult


def to_json(result: SimulationResult) -> str:
    """The ``--json`` payload (every value is already plain: strings, numbers, lists, dicts)."""
    return json.dumps(result.as_json(), ensure_ascii=False, indent=2, default=str)


def _layout(fig: go.Figure, **kwargs: Any) -> go.Figure:
    """The look of the analytics charts (white template, 380 px)."""
    fig.update_layout(
        template="plotly_white", height=380, margin={"l": 60, "r": 20, "t": 30, "b": 50}, **kwargs
    )
    return fig


def charts(result: SimulationResult) -> list[Chart]:
    days = [d["day"] for d in result.days]
    if not days:
        return []
    series = [
        ("open", "open cases"),
        ("assigned", "with staff"),
        ("unassigned", "unassigned"),
        ("escalated", "escalated"),
    ]
    book = go.Figure(
        [go.Scatter(name=label, x=days, y=[d[k] for d in result.days]) for k, label in series]
    )
    flow = go.Figure(
        [
            go.Bar(name=label, x=days, y=[d[k] for d in result.days])
            for k, label in (
                ("opened", "opened"),
                ("cured", "cured"),
                ("rolled_forward", "rolled forward"),
            )
        ]
    )
    money = go.Figure(
        go.Bar(name="collected", x=days, y=[float(d["collected"]) for d in result.days])
    )
    promises = go.Figure(
        [
            go.Bar(name=k.replace("_", " "), x=days, y=[d["promises"][k] for d in result.days])
            for k in ("taken", "kept", "partially_kept", "broken")
        ]
    )
    rules = sorted({r for d in result.days for r in d["compliance_blocks"]})
    blocks = go.Figure(
        [
            go.Bar(name=r, x=days, y=[d["compliance_blocks"].get(r, 0) for d in result.days])
            for r in rules
        ]
    )
    grades = sorted({g for d in result.days for g in d["load"]})
    load = go.Figure(
        [
            go.Scatter(
                name=g.replace("_", " "),
                x=days,
                y=[d["load"].get(g, {}).get("cases_mean", 0) for d in result.days],
            )
            for g in grades
        ]
    )
    names = list(result.invariants)
    broken = go.Figure(
        [go.Bar(name=n, x=days, y=[d["invariants"].get(n, 0) for d in result.days]) for n in names]
    )
    return [
        Chart("sim-book", "Open cases and who holds them", _layout(book)),
        Chart(
            "sim-flow", "Opened, cured and rolled forward per night", _layout(flow, barmode="group")
        ),
        Chart("sim-collected", "Collected per day", _layout(money)),
        Chart("sim-promises", "Promises taken and reconciled", _layout(promises, barmode="group")),
        Chart(
            "sim-blocks",
            "Contacts blocked by compliance, by rule",
            _layout(blocks, barmode="stack") if rules else None,
            "No contact was blocked.",
        ),
        Chart("sim-load", "Mean open cases per collector, by grade", _layout(load)),
        Chart(
            "sim-invariants", "Invariant violations found per day", _layout(broken, barmode="stack")
        ),
    ]


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;margin:24px;
color:#222;max-width:1200px}h1{font-size:1.5rem}section{margin:28px 0;border-top:1px solid #ddd}
h2{font-size:1.15rem}table{border-collapse:collapse;font-size:.85rem;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}.held{color:#2e7d32}.broken{color:#c62828;font-weight:600}
.no-data{padding:24px;background:#fafafa;border:1px dashed #bbb;color:#555}
"""


def _blocks_table(result: SimulationResult) -> str:
    """The run's blocked attempts by rule: how many, on how many days, the first and last."""
    rows = []
    for rule, total in sorted(
        result.summary.get("compliance_blocks", {}).items(), key=lambda kv: (-kv[1], kv[0])
    ):
        days = [d["day"] for d in result.days if d["compliance_blocks"].get(rule)]
        rows.append([rule, total, len(days), days[0] if days else "", days[-1] if days else ""])
    s = result.summary
    calls = (
        f"<p>{s.get('calls', 0):,} call attempts by the collectors: {s.get('calls_made', 0):,} "
        f"made, {s.get('calls_blocked', 0):,} blocked by compliance.</p>"
    )
    table = (
        _table(["rule", "blocked attempts", "days", "first", "last"], rows)
        if rows
        else '<p class="no-data">No contact was blocked.</p>'
    )
    return (
        f'<section id="sim-blocks-table"><h2>Compliance blocks by rule</h2>{calls}{table}</section>'
    )


def render_html(result: SimulationResult) -> str:
    """One self-contained page (plotly.js inlined): open it offline."""
    s = result.summary
    rows = [
        [
            name,
            "held" if r["held"] else "BROKEN",
            r["violations"],
            r["days_broken"],
            r["first_broken"] or "",
            "; ".join(str(e) for e in r["examples"][:3]),
        ]
        for name, r in result.invariants.items()
    ]
    verdicts = _table(
        ["invariant", "verdict", "violations", "days broken", "first broken", "examples"], rows
    )
    verdicts = verdicts.replace("<td>BROKEN</td>", '<td class="broken">BROKEN</td>')
    verdicts = verdicts.replace("<td>held</td>", '<td class="held">held</td>')
    errors = s.get("service_errors") or {}
    sections = [
        f"<section><h2>Invariants</h2>{verdicts}</section>",
        "<section><h2>Services that failed unexpectedly</h2>"
        + (
            _table(
                ["error", "times", "first case", "first day"],
                [[k, v["times"], v["first"]["case"], v["first"]["day"]] for k, v in errors.items()],
            )
            if errors
            else '<p class="no-data">None.</p>'
        )
        + "</section>",
    ]
    for chart in charts(result):
        sections.append(
            f'<section id="{chart.key}"><h2>{html.escape(chart.title)}</h2>{chart.html()}</section>'
        )
    sections.append(_blocks_table(result))
    sections.append(
        "<section><h2>Month ends</h2>"
        + _table(
            ["month", "pay statements", "pay total", "promotion rows", "eligible"],
            [
                [
                    m["month"],
                    m["pay_statements"],
                    m["pay_total"],
                    m["promotion_rows"],
                    ", ".join(m["promotion_eligible"]),
                ]
                for m in s["month_ends"]
            ],
        )
        + "</section>"
    )
    agency = s.get("agency")
    if agency:
        sections.append(
            f'<section id="agency"><h2>Agency {html.escape(agency["code"])}: commission '
            "statements against its own book</h2>"
            + _table(
                [
                    "month",
                    "recovered (statement)",
                    "commission (statement)",
                    "recovered (book)",
                    "commission (book)",
                    "payments",
                    "clawed back",
                    "to the cent",
                ],
                [
                    [
                        m["month"],
                        m["statement_recovered"],
                        m["statement_total"],
                        m["expected_recovered"],
                        m["expected_total"],
                        m["payments"],
                        m["clawed_back"],
                        "yes" if m["to_the_cent"] else "NO",
                    ]
                    for m in agency["statements"]
                ],
            )  # fmt: skip
            + "<h3>Exchange files</h3>"
            + _table(["item", "count"], [[k, v] for k, v in agency["files"].items()])
            + "<h3>Agencies and in-house work on comparable cases</h3>"
            + _table(
                [
                    "group",
                    "cases",
                    "contacted",
                    "promised",
                    "recovered",
                    "recovery rate",
                    "complaints",
                    "compliance blocks",
                ],
                [
                    [
                        g.get("group"),
                        g.get("cases"),
                        g.get("contacted"),
                        g.get("promised"),
                        g.get("recovered"),
                        g.get("recovery_rate"),
                        g.get("complaints"),
                        g.get("compliance_blocks"),
                    ]
                    for g in agency["comparison"]
                ],
            )  # fmt: skip
            + "</section>"
        )
    sections.append(
        "<section><h2>Services the simulator drove</h2>"
        + _table(["domain", "call"], [list(c) for c in actions.SERVICE_CALLS])
        + "</section>"
    )
    meta = (
        f"{s['days']} days from {s['start']} · {s['accounts']:,} accounts · seed {s['seed']} · "
        f"{s['store']} + {s['engine']} · strategy {s['strategy']} · collected {s['collected']} · "
        f"promise kept rate {s['promise_kept_rate']}"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>arrears: simulation</title>"
        f"<style>{_STYLE}</style><script>{get_plotlyjs()}</script></head><body>"
        f"<h1>Simulated department</h1><p>{html.escape(meta)}</p>"
        + "".join(sections)
        + "</body></html>"
    )
