"""The analytics charts, as Plotly figures: one builder per chart, reusable by the HTML report
and the team-lead dashboard. A builder given no data returns a chart with ``figure=None`` and a
plain note saying so, never a broken figure.

Every word a chart shows (title, note, axis titles, legend and tick labels, hover text) goes
through ``words``, the reader's catalog (English is the message id), and months are written in
the reader's ``locale``: the HTML report passes both; the dashboard translates the figure's
words itself."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import plotly.graph_objects as go
from babel.dates import format_skeleton

Words = Callable[[str], str]


# What Plotly itself writes on a chart (the mode bar's tool tips, its hints): message ids of
# the catalog too, handed to Plotly as a locale by a page in another language.
PLOTLY_WORDS = (
    "Download plot as a PNG",
    "Download plot",
    "Zoom",
    "Pan",
    "Box Select",
    "Lasso Select",
    "Zoom in",
    "Zoom out",
    "Autoscale",
    "Reset axes",
    "Toggle Spike Lines",
    "Show closest data on hover",
    "Compare data on hover",
    "Double-click to zoom back out",
    "Double-click on legend to isolate one trace",
)


def same(text: str) -> str:
    """English: the message id is the text."""
    return text


def month_label(iso_day: str, locale: str = "en") -> str:
    """``'2005-04-01'`` -> ``'Apr 2005'`` / ``'2005年4月'``: a month as the reader writes it."""
    return format_skeleton(
        "yMMM", date.fromisoformat(iso_day[:10]), locale=locale.replace("-", "_")
    )


PALETTE = ("#2e7d32", "#9ccc65", "#fdd835", "#fb8c00", "#f4511e", "#d81b60", "#8e24aa", "#4a148c")


@dataclass(frozen=True)
class Chart:
    """A titled figure, or the reason there is none yet."""

    key: str
    title: str
    figure: go.Figure | None
    note: str = ""

    def html(self, *, include_plotlyjs: bool | str = False, locale: str = "en") -> str:
        """An embeddable fragment (the page includes plotly.js once, inline); ``locale`` names
        the Plotly locale the page registered for its tool tips (``PLOTLY_WORDS``)."""
        if self.figure is None:
            # A command in the note (`arrears model train`) is code, shown as such.
            note = re.sub(r"`([^`]+)`", r"<code>\1</code>", _escape(self.note))
            return f'<p class="no-data">{note}</p>'
        return str(
            self.figure.to_html(
                full_html=False,
                include_plotlyjs=include_plotlyjs,
                div_id=f"chart-{self.key}",
                config={"displaylogo": False, "responsive": True, "locale": locale},
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


def bucket_mix_chart(
    mix: Sequence[Mapping[str, Any]], *, words: Words = same, locale: str = "en"
) -> Chart:
    """Accounts per bucket per month, stacked."""
    title = words("Bucket mix by month")
    if not mix:
        return Chart("bucket-mix", title, None, words("No status reports yet: import a portfolio."))
    months = [month_label(m["month"], locale) for m in mix]
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
    # Months as the reader's labels, in order (a date axis would name them in English).
    fig.update_xaxes(type="category")
    return Chart("bucket-mix", title, _layout(fig, barmode="stack", yaxis_title=words("accounts")))


def roll_heatmap(rolls: Mapping[str, Any], *, words: Words = same) -> Chart:
    """From-bucket x to-bucket share of accounts, all months together; counts on hover/text."""
    title = words("Roll rates (share of accounts, month to next month)")
    if not rolls or not rolls.get("transitions"):
        return Chart("roll-heatmap", title, None, words("No month-to-month transitions yet."))
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
            hovertemplate="%{y} → %{x}: %{z:.1%} (%{text} "
            + words("accounts")
            + ")<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", title=words("from"))
    fig.update_xaxes(title=words("to"))
    return Chart("roll-heatmap", title, _layout(fig))


def recovery_chart(
    curves: Sequence[Mapping[str, Any]], *, words: Words = same, locale: str = "en"
) -> Chart:
    """Cumulative share of the entry balance recovered, by months since entry, per cohort."""
    title = words("Recovery curves by month of entry into delinquency")
    usable = [c for c in curves if c["points"]]
    if not usable:
        return Chart(
            "recovery", title, None, words("No account has entered delinquency in the data yet.")
        )
    fig = go.Figure(
        [
            go.Scatter(
                name=words("entered {month} ({accounts})").format(
                    month=month_label(c["entry_month"], locale), accounts=c["accounts"]
                ),
                x=[p["month"] for p in c["points"]],
                y=[p["recovery_rate"] for p in c["points"]],
                mode="lines+markers",
            )
            for c in usable
        ]
    )
    fig.update_yaxes(tickformat=".0%", title=words("recovered / balance at entry"))
    fig.update_xaxes(title=words("months since entry"), dtick=1)
    return Chart("recovery", title, _layout(fig))


def kpi_chart(kpis: Sequence[Mapping[str, Any]], *, words: Words = same) -> Chart:
    """Per collector: right-party contact, promise and promise-kept rates."""
    title = words("Collector KPIs")
    rows = [r for r in kpis if r["collector"] != "(all)"]
    if not rows:
        return Chart("kpis", title, None, words("No contact attempts recorded yet."))
    names = [r["collector"] for r in rows]
    fig = go.Figure(
        [
            go.Bar(name=words(label), x=names, y=[r[key] or 0 for r in rows])
            for key, label in (
                ("rpc_rate", "right-party contact rate"),
                ("promise_rate", "promise rate"),
                ("promise_kept_rate", "promise-kept rate"),
            )
        ]
    )
    fig.update_yaxes(tickformat=".0%")
    return Chart("kpis", title, _layout(fig, barmode="group"))


def agency_chart(agencies: Mapping[str, Any], *, words: Words = same) -> Chart:
    """Per agency and in-house on comparable cases: contact, promise and recovery rates."""
    title = words("Agencies and in-house work on comparable cases")
    rows = agencies.get("groups") or []
    if not rows:
        return Chart("agencies", title, None, words("No case has been placed with an agency yet."))
    # "in-house" is a word, the agencies' codes are codes.
    names = [words(r["group"]) if r["group"] == "in-house" else r["group"] for r in rows]
    fig = go.Figure(
        [
            go.Bar(name=words(label), x=names, y=[r[key] or 0 for r in rows])
            for key, label in (
                ("contact_rate", "contacted"),
                ("promise_rate", "promised"),
                ("recovery_rate", "recovery rate (of balance)"),
            )
        ]
    )
    fig.update_yaxes(tickformat=".0%")
    return Chart("agencies", title, _layout(fig, barmode="group"))


def champion_chart(results: Mapping[str, Any], *, words: Words = same) -> Chart:
    """Pay rate per test and arm, on the population the test targets, with its 95% interval."""
    title = words("Champion / challenger: pay rate of the targeted accounts per arm (95% interval)")
    arms = [(t["test"], a) for t in results.get("tests") or [] for a in t["arms"]]
    if not arms:
        return Chart(
            "arms", title, None, words("No experiment results yet: the cycle has run no arms.")
        )
    rates = [a["pay_rate"] or 0 for _, a in arms]
    fig = go.Figure(
        go.Bar(
            x=[f"{test}: {a['arm']} ({words(a['role'])}, {a['accounts']:,})" for test, a in arms],
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
    fig.update_yaxes(tickformat=".0%", title=words("targeted accounts paying within the horizon"))
    return Chart("arms", title, _layout(fig))


def lift_chart(evaluation: Mapping[str, Any] | None, *, words: Words = same) -> Chart:
    """Lift per score decile (bars) and cumulative gain (line) on the holdout."""
    title = words("Model lift and gain by score decile (holdout)")
    if not evaluation or not evaluation.get("lift"):
        return Chart("lift", title, None, words("No trained model yet: run `arrears model train`."))
    lift = evaluation["lift"]
    deciles = [row["decile"] for row in lift]
    fig = go.Figure(
        [
            go.Bar(name=words("lift"), x=deciles, y=[row["lift"] for row in lift], yaxis="y"),
            go.Scatter(
                name=words("cumulative gain"),
                x=deciles,
                y=[row["cumulative_gain"] for row in lift],
                yaxis="y2",
                mode="lines+markers",
            ),
        ]
    )
    fig.update_layout(
        xaxis={"title": words("decile (1 = highest score)"), "dtick": 1},
        yaxis={"title": words("lift")},
        yaxis2={
            "title": words("share of defaulters"),
            "overlaying": "y",
            "side": "right",
            "tickformat": ".0%",
        },
    )
    return Chart("lift", title, _layout(fig))


def calibration_chart(evaluation: Mapping[str, Any] | None, *, words: Words = same) -> Chart:
    """Mean predicted probability against the observed rate, per score bin."""
    title = words("Model calibration (holdout)")
    if not evaluation or not evaluation.get("calibration"):
        return Chart(
            "calibration", title, None, words("No trained model yet: run `arrears model train`.")
        )
    cal = evaluation["calibration"]
    fig = go.Figure(
        [
            go.Scatter(
                name=words("model"),
                x=[b["mean_predicted"] for b in cal],
                y=[b["observed_rate"] for b in cal],
                mode="lines+markers",
            ),
            go.Scatter(
                name=words("perfect"), x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot"}
            ),
        ]
    )
    fig.update_xaxes(title=words("mean predicted"), range=[0, 1])
    fig.update_yaxes(title=words("observed default rate"), range=[0, 1])
    return Chart("calibration", title, _layout(fig))
