"""HTML pieces the pages share: KPI cards, notes, the empty state, the banner, and tables
turned into what a shop owner reads (numbers stay numbers, so columns sort correctly)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd
from htmltools import Tag, TagList, tags

from dashboard.filters import Filters
from dashboard.formatting import Kind, format_change, format_value
from dashboard.pages import Kpi

ColumnKind = Kind | Literal["text", "flag", "date", "time"]


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: ColumnKind = "count"


def present(frame: pd.DataFrame, columns: tuple[Column, ...]) -> pd.DataFrame:
    """The columns to show, labelled, with rates in per cent and money to the cent."""
    shown = {}
    for column in columns:
        values = frame[column.name]
        if column.kind == "text":
            shown[column.label] = values.fillna("(none)").astype(str)
        elif column.kind == "flag":
            shown[column.label] = values.map(lambda flag: "⚠ few" if flag else "")
        elif column.kind == "percent":
            shown[f"{column.label} %"] = (values.astype(float) * 100).round(1)
        elif column.kind in ("money", "decimal"):
            shown[column.label] = values.astype(float).round(2)
        elif column.kind == "duration":
            shown[f"{column.label} (s)"] = values.astype(float).round(0)
        elif column.kind == "date":
            shown[column.label] = values.map(lambda day: day.isoformat() if day else "")
        elif column.kind == "time":
            shown[column.label] = values.map(
                lambda at: "" if pd.isna(at) else pd.Timestamp(at).strftime("%Y-%m-%d %H:%M UTC")
            )
        else:
            shown[column.label] = values
    return pd.DataFrame(shown)


def kpi_grid(page_key: str, kpis: tuple[Kpi, ...], filters: Filters) -> Tag:
    return tags.div({"class": "kpi-grid"}, *(kpi_card(page_key, kpi, filters.days) for kpi in kpis))


def kpi_card(page_key: str, kpi: Kpi, days: int) -> Tag:
    change = kpi.change
    if change is None or change == 0:
        tone = "neutral"
    else:
        tone = "good" if (change > 0) != kpi.lower_is_better else "bad"
    compared = compared_with_previous(kpi, days)
    sample = f"of {kpi.sample_size:,} {kpi.sample_unit}" if kpi.sample_size is not None else ""
    return tags.div(
        {"class": "kpi", "id": f"kpi-{page_key}-{kpi.key}"},
        tags.div({"class": "kpi-label"}, kpi.label),
        tags.div({"class": "kpi-value"}, format_value(kpi.kind, kpi.current)),
        tags.div({"class": f"kpi-change {tone}"}, compared) if compared else None,
        tags.div({"class": "kpi-sample"}, sample) if sample else None,
        tags.div({"class": "kpi-alert", "role": "note"}, "⚠ ", kpi.alert) if kpi.alert else None,
    )


def compared_with_previous(kpi: Kpi, days: int) -> str:
    """The card's line about the previous period of equal length ("" when it has none)."""
    if not kpi.compares:
        return ""
    if kpi.previous is None:
        return f"no data in the previous {days} days"
    if kpi.change is None:  # nothing to divide by: say what the previous value was
        return f"previous {days} days: {format_value(kpi.kind, kpi.previous)}"
    return f"{format_change(kpi.kind, kpi.change)} vs previous {days} days"


def describe_filters(filters: Filters) -> str:
    devices = ", ".join(filters.devices) or "all devices"
    channels = ", ".join(filters.channels) or "all channels"
    return f"{readable(filters.start)} – {readable(filters.end)} · {devices} · {channels}"


def filters_note(filters: Filters, honours_segments: bool, extra: str = "") -> Tag:
    applies = "date range, device, channel" if honours_segments else "date range only"
    return tags.div(
        {"class": "filters-note"},
        tags.span({"class": "filters-applied"}, describe_filters(filters)),
        tags.span({"class": "filters-scope"}, f"Filters that apply here: {applies}."),
        tags.span({"class": "filters-extra"}, extra) if extra else None,
    )


def empty_state(filters: Filters, coverage: tuple[date, date] | None) -> Tag:
    if coverage is None:
        hint: TagList | str = TagList(
            "The warehouse holds no data yet. Load some and build the marts with ",
            tags.code("clickstream run --lake LAKE"),
            " (or try everything at once with ",
            tags.code("clickstream demo"),
            ").",
        )
    else:
        hint = (
            f"The warehouse holds days from {readable(coverage[0])} to {readable(coverage[1])}: "
            "widen the date range or clear the device and channel filters."
        )
    return tags.div(
        {"class": "empty-state", "role": "status"},
        tags.h3("Nothing to show for these filters"),
        tags.p(f"No data for {describe_filters(filters)}."),
        tags.p(hint),
    )


def not_built() -> Tag:
    return tags.div(
        {"class": "empty-state", "role": "status"},
        tags.h3("The warehouse is not built yet"),
        tags.p(
            "There are no marts to read. Load some events and build them with ",
            tags.code("clickstream run --lake LAKE"),
            " (or try everything at once with ",
            tags.code("clickstream demo"),
            ").",
        ),
        tags.p("This page fills in by itself once the first build has finished."),
    )


def banner(message: str, severity: Literal["danger", "warning"]) -> Tag:
    return tags.div(
        {"class": f"alert alert-{severity} dashboard-banner", "role": "alert"},
        message,
    )


def readable(day: date) -> str:
    return day.strftime("%-d %b %Y")


def unavailable() -> Tag:
    return tags.div(
        {"class": "unavailable", "role": "status"},
        "The figures will appear here once the problem in the banner above is solved.",
    )
