"""The analytics charts, as Plotly figures: one builder per chart, reusable by the HTML report
and the team-lead dashboard. A builder given no data returns a chart with ``figure=None`` and a
plain note saying so, never a broken figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

PALETTE = ("#2e7d32", "#9ccc65", "#fdd835", "#fb8c00", "#f4511e", "#d81b60", "#8e24aa", "#4a148c")


@dataclass(frozen=True)
class Chart:
    """A titled figure, or the reason there is none yet."""

    key: str
    title: str
    figure: go.Figure | None
    note: str = ""

    def html(self, *, include_plotlyjs: bool | str = False) -> str:
        """An embeddable fragment (the page includes plotly.js once, inline)."""
        if self.figure is None:
            return f'<p class="no-data">{_escape(self.note)}</p>'
        return str(
            self.figure.to_html(
                full_html=False,
                include_plotlyjs=include_plotlyjs,
                div_id=f"chart-{self.key}",
                config={"displaylogo": False, "responsive": True},
            )
        )


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def _layout(fig: go.Figure, **kwargs: Any) -> go.Figure:
    fig.update_layout(
        template="plotly_white", height=380, margin={"l": 60, "r": 20, "t": 30, "b": 50}, **kwargs
    )
    return fig


def bucket_mix_chart(mix: Sequence[Mapping[str, Any]]) -> Chart:
    """Accounts per bucket per month, stacked."""
    title = "Bucket mix by month"
    if not mix:
        return Chart("bucket-mix", title, None, "No status reports yet: import a portfolio.")
    months = [m["month"] for m in mix]
    buckets = list(mix[0]["accounts"])
    fig = go.Figure(
        [
            go.Bar(
                name=b,
                x=months,
                y=[m["accounts"][b] for m in mix],
                marker_color=PALETTE[i % len(PALETTE)],
            )
            for i, b in enumerate(buckets)
        ]
    )
    return Chart("bucket-mix", title, _layout(fig, barmode="stack", yaxis_title="accounts"))


def roll_heatmap(rolls: Mapping[str, Any]) -> Chart:
    """From-bucket x to-bucket share of accounts, all months together; counts on hover/text."""
    title = "Roll rates (share of accounts, month to next month)"
    if not rolls or not rolls.get("transitions"):
        return Chart("roll-heatmap", title, None, "No month-to-month transitions yet.")
    buckets = rolls["buckets"]
    rates = [[rolls["rates"][f][t] for t in buckets] for f in buckets]
    counts = [[rolls["matrix"][f][t] for t in buckets] for f in buckets]
    fig = go.Figure(
        go.Heatmap(
            z=rates,
            x=buckets,
            y=buckets,
            text=counts,
            texttemplate="%{text}",
            colorscale="YlOrRd",
            zmin=0,
            zmax=1,
            hovertemplate="%{y} → %{x}: %{z:.1%} (%{text} accounts)<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", title="from")
    fig.update_xaxes(title="to")
    return Chart("roll-heatmap", title, _layout(fig))


def recovery_chart(curves: Sequence[Mapping[str, Any]]) -> Chart:
    """Cumulative share of the entry balance recovered, by months since entry, per cohort."""
    title = "Recovery curves by month of entry into delinquency"
    usable = [c for c in curves if c["points"]]
    if not usable:
        return Chart("recovery", title, None, "No account has entered delinquency in the data yet.")
    fig = go.Figure(
        [
            go.Scatter(
                name=f"entered {c['entry_month'][:7]} ({c['accounts']})",
                x=[p["month"] for p in c["points"]],
                y=[p["recovery_rate"] for p in c["points"]],
                mode="lines+markers",
            )
            for c in usable
        ]
    )
    fig.update_yaxes(tickformat=".0%", title="recovered / balance at entry")
    fig.update_xaxes(title="months since entry", dtick=1)
    return Chart("recovery", title, _layout(fig))


def kpi_chart(kpis: Sequence[Mapping[str, Any]]) -> Chart:
    """Per collector: right-party contact, promise and promise-kept rates."""
    title = "Collector KPIs"
    rows = [r for r in kpis if r["collector"] != "(all)"]
    if not rows:
        return Chart("kpis", title, None, "No contact attempts recorded yet.")
    names = [r["collector"] for r in rows]
    fig = go.Figure(
        [
            go.Bar(name=label, x=names, y=[r[key] or 0 for r in rows])
            for key, label in (
                ("rpc_rate", "right-party contact rate"),
                ("promise_rate", "promise rate"),
                ("promise_kept_rate", "promise-kept rate"),
            )
        ]
    )
    fig.update_yaxes(tickformat=".0%")
    return Chart("kpis", title, _layout(fig, barmode="group"))


def agency_chart(agencies: Mapping[str, Any]) -> Chart:
    """Per agency and in-house on comparable cases: contact, promise and recovery rates."""
    title = "Agencies and in-house work on comparable cases"
    rows = agencies.get("groups") or []
    if not rows:
        return Chart("agencies", title, None, "No case has been placed with an agency yet.")
    names = [r["group"] for r in rows]
    fig = go.Figure(
        [
            go.Bar(name=label, x=names, y=[r[key] or 0 for r in rows])
            for key, label in (
                ("contact_rate", "contacted"),
                ("promise_rate", "promised"),
                ("recovery_rate", "recovery rate (of balance)"),
            )
        ]
    )
    fig.update_yaxes(tickformat=".0%")
    return Chart("agencies", title, _layout(fig, barmode="group"))


def champion_chart(results: Mapping[str, Any]) -> Chart:
    """Pay rate per test and arm, on the population the test targets, with its 95% interval."""
    title = "Champion / challenger: pay rate of the targeted accounts per arm (95% interval)"
    arms = [(t["test"], a) for t in results.get("tests") or [] for a in t["arms"]]
    if not arms:
        return Chart("arms", title, None, "No experiment results yet: the cycle has run no arms.")
    rates = [a["pay_rate"] or 0 for _, a in arms]
    fig = go.Figure(
        go.Bar(
            x=[f"{test}: {a['arm']} ({a['role']}, {a['accounts']:,})" for test, a in arms],
            y=rates,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [a["pay_rate_ci"][1] - r for (_, a), r in zip(arms, rates, strict=True)],
                "arrayminus": [
                    r - a["pay_rate_ci"][0] for (_, a), r in zip(arms, rates, strict=True)
                ],
            },
            marker_color=["#1565c0" if a["role"] == "champion" else "#ef6c00" for _, a in arms],
        )
    )
    fig.update_yaxes(tickformat=".0%", title="targeted accounts paying within the horizon")
    return Chart("arms", title, _layout(fig))


def lift_chart(evaluation: Mapping[str, Any] | None) -> Chart:
    """Lift per score decile (bars) and cumulative gain (line) on the holdout."""
    title = "Model lift and gain by score decile (holdout)"
    if not evaluation or not evaluation.get("lift"):
        return Chart("lift", title, None, "No trained model yet: run `arrears model train`.")
    lift = evaluation["lift"]
    deciles = [row["decile"] for row in lift]
    fig = go.Figure(
        [
            go.Bar(name="lift", x=deciles, y=[row["lift"] for row in lift], yaxis="y"),
            go.Scatter(
                name="cumulative gain",
                x=deciles,
                y=[row["cumulative_gain"] for row in lift],
                yaxis="y2",
                mode="lines+markers",
            ),
        ]
    )
    fig.update_layout(
        xaxis={"title": "decile (1 = highest score)", "dtick": 1},
        yaxis={"title": "lift"},
        yaxis2={
            "title": "share of defaulters",
            "overlaying": "y",
            "side": "right",
            "tickformat": ".0%",
        },
    )
    return Chart("lift", title, _layout(fig))


def calibration_chart(evaluation: Mapping[str, Any] | None) -> Chart:
    """Mean predicted probability against the observed rate, per score bin."""
    title = "Model calibration (holdout)"
    if not evaluation or not evaluation.get("calibration"):
        return Chart("calibration", title, None, "No trained model yet: run `arrears model train`.")
    cal = evaluation["calibration"]
    fig = go.Figure(
        [
            go.Scatter(
                name="model",
                x=[b["mean_predicted"] for b in cal],
                y=[b["observed_rate"] for b in cal],
                mode="lines+markers",
            ),
            go.Scatter(name="perfect", x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot"}),
        ]
    )
    fig.update_xaxes(title="mean predicted", range=[0, 1])
    fig.update_yaxes(title="observed default rate", range=[0, 1])
    return Chart("calibration", title, _layout(fig))
