"""Plotly figures for each page, built from the page frames (no Shiny, no queries)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import format_duration

CHART_HEIGHT = 320
# How many legend entries fit on a row of a chart about 420 px wide (the grid's column).
LEGEND_ENTRIES_PER_ROW = 3
NO_LOADS = "No loads in this range (see the note above)"


def styled(figure: go.Figure, title: str) -> go.Figure:
    """One look everywhere. A fixed height, equal to its box's, so nothing is cut off; the
    legend in rows under the title (room made for them), so narrow screens keep the plot's
    full width."""
    legend_rows = (
        math.ceil(len(figure.data) / LEGEND_ENTRIES_PER_ROW) if len(figure.data) > 1 else 0
    )
    figure.update_layout(
        height=CHART_HEIGHT,
        title={"text": title, "font": {"size": 15}, "x": 0.01, "y": 0.98, "yanchor": "top"},
        margin={"l": 8, "r": 8, "t": 44 + 22 * legend_rows, "b": 8},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": 11}},
        template="plotly_white",
        hovermode="x unified",
    )
    figure.update_xaxes(automargin=True)
    figure.update_yaxes(automargin=True, rangemode="tozero")
    return figure


def saying_when_empty(figure: go.Figure, rows: pd.DataFrame, message: str) -> go.Figure:
    """An empty chart says why, instead of showing bare axes."""
    if rows.empty:
        figure.add_annotation(
            text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5
        )
        figure.update_xaxes(visible=False)
        figure.update_yaxes(visible=False)
    return figure


def blank() -> go.Figure:
    """What a chart holds before its page has figures (the page says why it has none)."""
    return styled(go.Figure(), "")


def active_users(daily: pd.DataFrame) -> go.Figure:
    figure = go.Figure(
        [
            go.Scatter(x=daily["date_day"], y=daily[column], name=name, mode="lines+markers")
            for column, name in (("dau", "DAU"), ("wau", "WAU"), ("mau", "MAU"))
        ]
    )
    return styled(figure, "Active users")


def sessions_and_bounce_rate(daily: pd.DataFrame) -> go.Figure:
    figure = go.Figure(
        [
            go.Bar(x=daily["date_day"], y=daily["sessions"], name="Sessions"),
            go.Scatter(
                x=daily["date_day"],
                y=daily["bounce_rate"],
                name="Bounce rate",
                yaxis="y2",
                mode="lines+markers",
            ),
        ]
    )
    figure.update_layout(
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "rangemode": "tozero"}
    )
    return styled(figure, "Sessions and bounce rate per day")


def funnel(stages: pd.DataFrame) -> go.Figure:
    figure = go.Figure(
        go.Funnel(y=stages["stage"], x=stages["sessions"], textinfo="value+percent previous")
    )
    return styled(figure, "Sessions reaching each stage")


def conversion_per_day(daily: pd.DataFrame) -> go.Figure:
    rate = daily["purchase_sessions"] / daily["sessions"].where(daily["sessions"] > 0)
    figure = go.Figure(
        go.Scatter(x=daily["date_day"], y=rate, name="Conversion", mode="lines+markers")
    )
    figure.update_yaxes(tickformat=".1%")
    return styled(figure, "Conversion rate per day")


def conversion_with_intervals(segments: pd.DataFrame, column: str, title: str) -> go.Figure:
    """Conversion per segment with its Wilson 95% interval as error bars."""
    figure = go.Figure(
        go.Bar(
            x=segments[column].fillna("(unknown)"),
            y=segments["conversion"],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": segments["conversion_high"] - segments["conversion"],
                "arrayminus": segments["conversion"] - segments["conversion_low"],
            },
            name="Conversion",
        )
    )
    figure.update_yaxes(tickformat=".0%")
    return styled(figure, title)


def revenue_by(frame: pd.DataFrame, column: str, title: str) -> go.Figure:
    """Horizontal bars, largest on top: long product names stay readable."""
    figure = go.Figure(
        go.Bar(
            y=frame[column].astype(str),
            x=frame["revenue"],
            orientation="h",
            name="Revenue",
            hovertemplate="%{y}: %{x:,.2f}<extra></extra>",
        )
    )
    styled(figure, title)
    figure.update_layout(hovermode="closest")
    figure.update_yaxes(autorange="reversed", tickfont={"size": 11})
    return figure


def sessions_by_channel_per_day(channel_daily: pd.DataFrame) -> go.Figure:
    figure = go.Figure(
        [
            go.Bar(x=rows["date_day"], y=rows["sessions"], name=str(channel))
            for channel, rows in channel_daily.groupby("channel", dropna=False)
        ]
    )
    figure.update_layout(barmode="stack")
    return styled(figure, "Sessions per day by channel")


def rows_per_hour(hourly: pd.DataFrame) -> go.Figure:
    figure = go.Figure(
        [
            go.Bar(x=hourly["hour_at"], y=hourly["rows_loaded"], name="Loaded"),
            go.Bar(x=hourly["hour_at"], y=hourly["rows_rejected"], name="Rejected"),
        ]
    )
    styled(figure, "Rows loaded and rejected per load hour (UTC)")
    return saying_when_empty(figure, hourly, NO_LOADS)


def rejections_per_hour(rejections: pd.DataFrame) -> go.Figure:
    labelled = rejections.assign(label=rejections["stage"] + ": " + rejections["reason"])
    figure = go.Figure(
        [
            go.Bar(x=rows["hour_at"], y=rows["rows_rejected"], name=label)
            for label, rows in labelled.groupby("label")
        ]
    )
    figure.update_layout(barmode="stack")
    styled(figure, "Rejected rows per hour by reason")
    return saying_when_empty(figure, rejections, "No rows rejected in this range")


def loader_lag(hourly: pd.DataFrame, slo_seconds: int) -> go.Figure:
    figure = go.Figure(
        [
            go.Scatter(
                x=hourly["hour_at"],
                y=hourly["max_lag_seconds"] / 60,
                name="Worst lag",
                mode="lines+markers",
            ),
            go.Scatter(
                x=hourly["hour_at"],
                y=hourly["avg_lag_seconds"] / 60,
                name="Average lag",
                mode="lines+markers",
            ),
        ]
    )
    figure.add_hline(
        y=slo_seconds / 60,
        line_dash="dash",
        line_color="#c0392b",
        annotation_text=f"SLO {format_duration(slo_seconds)}",
    )
    figure.update_yaxes(title_text="minutes")
    styled(figure, "Loader lag (received → loaded)")
    return saying_when_empty(figure, hourly, NO_LOADS)
