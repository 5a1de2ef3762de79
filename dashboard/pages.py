"""What each page shows, computed from the query functions: KPIs with their change against
the previous period of equal length, and the frames behind its charts and tables.

No Shiny here: `load_<page>(reader, filters, settings)` runs the page's full query set, which
is also what the benchmark times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

import pandas as pd

from dashboard import queries
from dashboard.filters import Filters
from dashboard.formatting import Kind, format_duration
from dashboard.reader import MartReader
from dashboard.settings import DashboardSettings
from dashboard.stats import Rate, ratio, relative_change

DEVICE_CHANNEL_DO_NOT_APPLY = (
    "Device and channel filters do not apply here: these figures are kept per day and product."
)
RELIABILITY_FILTERS_NOTE = (
    "Only the date range applies here (as UTC load hours): the pipeline is measured as a whole."
)
USERS_NOT_SEGMENTED_NOTE = (
    "DAU, WAU and MAU cover all devices and channels: the warehouse counts users per day, "
    "not per segment. The other figures follow the device and channel filters."
)


@dataclass(frozen=True)
class Kpi:
    """One card: this period's value, the previous period's, and how much to trust it."""

    key: str
    label: str
    kind: Kind
    current: float | None
    previous: float | None
    sample_size: int | None = None
    sample_unit: str = ""
    alert: str = ""
    lower_is_better: bool = False
    # False for a reading of the present (data freshness), which has no previous period.
    compares: bool = True

    @property
    def change(self) -> float | None:
        """Percentage points for rates, relative change for everything else."""
        if self.kind == "percent":
            if self.current is None or self.previous is None:
                return None
            return self.current - self.previous
        return relative_change(self.current, self.previous)


def rate_kpi(
    key: str,
    label: str,
    current: Rate,
    previous: Rate,
    unit: str,
    max_width: float,
    *,
    lower_is_better: bool = False,
) -> Kpi:
    return Kpi(
        key,
        label,
        "percent",
        current.value,
        previous.value,
        sample_size=current.trials,
        sample_unit=unit,
        alert=uncertainty_alert(current, unit, max_width),
        lower_is_better=lower_is_better,
    )


def uncertainty_alert(rate: Rate, unit: str, max_width: float) -> str:
    """Why a rate is not to be trusted yet, or "" when it is."""
    if not rate.is_uncertain(max_width):
        return ""
    if rate.trials == 0:
        return f"no {unit} to measure this"
    low, high = rate.interval or (0.0, 1.0)
    return (
        f"only {rate.trials:,} {unit}: the true rate could be anywhere from "
        f"{low * 100:.1f}% to {high * 100:.1f}%"
    )


def with_rate_columns(
    frame: pd.DataFrame, successes: str, trials: str, prefix: str, max_width: float
) -> pd.DataFrame:
    """Add <prefix>, <prefix>_low, <prefix>_high and <prefix>_warning for each row's rate."""
    rates = [Rate(int(s), int(t)) for s, t in zip(frame[successes], frame[trials], strict=True)]
    intervals = [rate.interval or (None, None) for rate in rates]
    return frame.assign(
        **{
            prefix: [rate.value for rate in rates],
            f"{prefix}_low": [low for low, _ in intervals],
            f"{prefix}_high": [high for _, high in intervals],
            f"{prefix}_warning": [rate.is_uncertain(max_width) for rate in rates],
        }
    )


def split_periods(frame: pd.DataFrame, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(range, previous period) rows of a frame keyed by date_day."""
    in_range = frame["date_day"] >= filters.start
    return frame[in_range], frame[~in_range]


def total(frame: pd.DataFrame | pd.Series, column: str) -> float:
    """A frame's column summed, or a row's value (sums over no rows come back as 0)."""
    values = frame[column]
    return float(values.sum()) if isinstance(values, pd.Series) else float(values)


def every_day(frame: pd.DataFrame, filters: Filters, fill: dict[str, float]) -> pd.DataFrame:
    """The range's rows with one row per calendar day, missing days filled in."""
    days = pd.Index([d.date() for d in pd.date_range(filters.start, filters.end)], name="date_day")
    return frame.set_index("date_day").reindex(days).fillna(fill).reset_index()


# --- traffic & engagement -------------------------------------------------------------------


@dataclass(frozen=True)
class TrafficPage:
    filters: Filters
    kpis: tuple[Kpi, ...]
    daily: pd.DataFrame
    users_note: str

    @property
    def is_empty(self) -> bool:
        return bool(self.daily["sessions"].sum() == 0 and self.daily["dau"].isna().all())


def load_traffic(reader: MartReader, filters: Filters, settings: DashboardSettings) -> TrafficPage:
    sessions = queries.engagement_by_day_with_previous(reader, filters)
    users = queries.active_users_by_day_with_previous(reader, filters)
    current, previous = split_periods(sessions, filters)
    users_now, users_before = split_periods(users, filters)

    def engagement_kpis(now: pd.DataFrame, before: pd.DataFrame) -> tuple[Kpi, Kpi, Kpi, Kpi]:
        return (
            Kpi("sessions", "Sessions", "count", total(now, "sessions"), total(before, "sessions")),
            Kpi(
                "pages_per_session",
                "Pages per session",
                "decimal",
                ratio(total(now, "page_views"), total(now, "sessions")),
                ratio(total(before, "page_views"), total(before, "sessions")),
            ),
            Kpi(
                "avg_session_duration",
                "Avg session duration",
                "duration",
                ratio(total(now, "total_duration_seconds"), total(now, "sessions")),
                ratio(total(before, "total_duration_seconds"), total(before, "sessions")),
            ),
            rate_kpi(
                "bounce_rate",
                "Bounce rate",
                Rate(int(total(now, "bounced_sessions")), int(total(now, "sessions"))),
                Rate(int(total(before, "bounced_sessions")), int(total(before, "sessions"))),
                "sessions",
                settings.max_interval_width,
                lower_is_better=True,
            ),
        )

    note = "all devices and channels" if filters.is_segmented else ""
    kpis = (
        Kpi(
            "avg_dau",
            "Avg daily active users",
            "decimal",
            mean_or_none(users_now["dau"]),
            mean_or_none(users_before["dau"]),
            alert=note,
        ),
        Kpi(
            "wau",
            "WAU (last day)",
            "count",
            last_or_none(users_now["wau"]),
            last_or_none(users_before["wau"]),
            alert=note,
        ),
        Kpi(
            "mau",
            "MAU (last day)",
            "count",
            last_or_none(users_now["mau"]),
            last_or_none(users_before["mau"]),
            alert=note,
        ),
        *engagement_kpis(current, previous),
    )
    daily = every_day(
        current,
        filters,
        {"sessions": 0, "page_views": 0, "total_duration_seconds": 0, "bounced_sessions": 0},
    ).merge(users_now, on="date_day", how="left")
    daily = daily.assign(
        pages_per_session=daily["page_views"] / daily["sessions"].where(daily["sessions"] > 0),
        avg_session_duration_seconds=daily["total_duration_seconds"]
        / daily["sessions"].where(daily["sessions"] > 0),
        bounce_rate=daily["bounced_sessions"] / daily["sessions"].where(daily["sessions"] > 0),
    )
    return TrafficPage(
        filters, kpis, daily, USERS_NOT_SEGMENTED_NOTE if filters.is_segmented else ""
    )


def mean_or_none(values: pd.Series) -> float | None:
    return float(values.mean()) if len(values) else None


def last_or_none(values: pd.Series) -> float | None:
    return float(values.iloc[-1]) if len(values) else None


# --- funnels --------------------------------------------------------------------------------

FUNNEL_STAGES = (
    ("sessions", "Sessions"),
    ("product_view_sessions", "Product view"),
    ("add_to_cart_sessions", "Add to cart"),
    ("checkout_sessions", "Checkout"),
    ("purchase_sessions", "Purchase"),
)


@dataclass(frozen=True)
class FunnelPage:
    filters: Filters
    kpis: tuple[Kpi, ...]
    stages: pd.DataFrame
    by_device: pd.DataFrame
    by_channel: pd.DataFrame
    daily: pd.DataFrame

    @property
    def is_empty(self) -> bool:
        return int(self.stages["sessions"].iloc[0]) == 0


def load_funnel(reader: MartReader, filters: Filters, settings: DashboardSettings) -> FunnelPage:
    by_day = queries.funnel_by_day_with_previous(reader, filters)
    segments = queries.funnel_by_segment(reader, filters)
    current, previous = split_periods(by_day, filters)
    width = settings.max_interval_width

    kpis = [
        Kpi(column, label, "count", total(current, column), total(previous, column))
        for column, label in FUNNEL_STAGES
    ]
    kpis.append(
        rate_kpi(
            "conversion_rate",
            "Conversion rate",
            Rate(int(total(current, "purchase_sessions")), int(total(current, "sessions"))),
            Rate(int(total(previous, "purchase_sessions")), int(total(previous, "sessions"))),
            "sessions",
            width,
        )
    )
    return FunnelPage(
        filters,
        tuple(kpis),
        funnel_stages(current, width),
        segment_conversion(segments, "device_type", width),
        segment_conversion(segments, "channel", width),
        every_day(current, filters, dict.fromkeys(dict(FUNNEL_STAGES), 0)),
    )


def funnel_stages(current: pd.DataFrame, max_width: float) -> pd.DataFrame:
    """stage, sessions, conversion from the stage before (sample, interval, warning), drop-off."""
    reached = [int(total(current, column)) for column, _ in FUNNEL_STAGES]
    stages = pd.DataFrame(
        {
            "stage": [label for _, label in FUNNEL_STAGES],
            "sessions": reached,
            "previous_stage_sessions": [None, *reached[:-1]],
        }
    )
    rates = [None] + [Rate(now, before) for before, now in pairwise(reached)]
    intervals = [(rate.interval if rate else None) or (None, None) for rate in rates]
    conversion = [rate.value if rate else None for rate in rates]
    return stages.assign(
        conversion=conversion,
        drop_off=[None if value is None else 1 - value for value in conversion],
        conversion_low=[low for low, _ in intervals],
        conversion_high=[high for _, high in intervals],
        conversion_warning=[bool(rate and rate.is_uncertain(max_width)) for rate in rates],
    )


def segment_conversion(segments: pd.DataFrame, column: str, max_width: float) -> pd.DataFrame:
    """Sessions, purchase sessions and conversion (with interval and warning) per value."""
    grouped = (
        segments.groupby(column, dropna=False)[["sessions", "purchase_sessions"]]
        .sum()
        .reset_index()
        .sort_values(["sessions", column], ascending=[False, True], ignore_index=True)
    )
    return with_rate_columns(grouped, "purchase_sessions", "sessions", "conversion", max_width)


# --- product performance --------------------------------------------------------------------


@dataclass(frozen=True)
class ProductPage:
    filters: Filters
    kpis: tuple[Kpi, ...]
    products: pd.DataFrame
    top: pd.DataFrame
    bottom: pd.DataFrame
    categories: pd.DataFrame
    carts: pd.DataFrame
    searches: pd.DataFrame
    filters_note: str = DEVICE_CHANNEL_DO_NOT_APPLY

    @property
    def is_empty(self) -> bool:
        return self.products.empty


TOP_AND_BOTTOM = 10
PRODUCT_SUM_COLUMNS = [
    "impressions",
    "clicks",
    "detail_views",
    "detail_view_sessions",
    "add_to_cart_sessions",
    "purchases",
    "units",
    "revenue",
]


def load_product(reader: MartReader, filters: Filters, settings: DashboardSettings) -> ProductPage:
    products = product_rates(queries.product_performance(reader, filters), settings)
    now = products[PRODUCT_SUM_COLUMNS].sum()
    before = queries.product_previous_totals(reader, filters).fillna(0).iloc[0]
    width = settings.max_interval_width

    def share(row: pd.Series, successes: str, trials: str) -> Rate:
        return Rate(int(total(row, successes)), int(total(row, trials)))

    kpis = (
        Kpi(
            "impressions",
            "Impressions",
            "count",
            total(now, "impressions"),
            total(before, "impressions"),
        ),
        rate_kpi(
            "ctr",
            "Click-through rate",
            share(now, "clicks", "impressions"),
            share(before, "clicks", "impressions"),
            "impressions",
            width,
        ),
        Kpi(
            "detail_views",
            "Product views",
            "count",
            total(now, "detail_views"),
            total(before, "detail_views"),
        ),
        rate_kpi(
            "atc_rate",
            "Add-to-cart rate",
            share(now, "add_to_cart_sessions", "detail_view_sessions"),
            share(before, "add_to_cart_sessions", "detail_view_sessions"),
            "viewing sessions",
            width,
        ),
        Kpi("units", "Units sold", "count", total(now, "units"), total(before, "units")),
        Kpi("revenue", "Revenue", "money", total(now, "revenue"), total(before, "revenue")),
    )
    viewed = products[products["detail_views"] > 0]
    searches = queries.search_terms(reader, filters)
    return ProductPage(
        filters,
        kpis,
        products,
        top=products.head(TOP_AND_BOTTOM),
        bottom=viewed.sort_values(
            ["revenue", "detail_views", "product_id"], ascending=[True, False, True]
        ).head(TOP_AND_BOTTOM),
        categories=category_performance(products, settings),
        carts=queries.cart_abandonment(reader, filters),
        searches=searches.assign(
            zero_result_share=searches["zero_result_searches"]
            / searches["searches"].where(searches["searches"] > 0)
        ),
    )


def product_rates(products: pd.DataFrame, settings: DashboardSettings) -> pd.DataFrame:
    with_ctr = products.assign(
        ctr=products["clicks"] / products["impressions"].where(products["impressions"] > 0)
    )
    return with_rate_columns(
        with_ctr,
        "add_to_cart_sessions",
        "detail_view_sessions",
        "atc_rate",
        settings.max_interval_width,
    )


def category_performance(products: pd.DataFrame, settings: DashboardSettings) -> pd.DataFrame:
    categories = (
        products.groupby("category")[PRODUCT_SUM_COLUMNS]
        .sum()
        .reset_index()
        .sort_values(["revenue", "category"], ascending=[False, True], ignore_index=True)
    )
    return product_rates(categories, settings)


# --- acquisition ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AcquisitionPage:
    filters: Filters
    kpis: tuple[Kpi, ...]
    by_channel: pd.DataFrame
    by_source: pd.DataFrame
    by_device: pd.DataFrame
    by_country: pd.DataFrame
    channel_daily: pd.DataFrame

    @property
    def is_empty(self) -> bool:
        return self.by_channel.empty


def load_acquisition(
    reader: MartReader, filters: Filters, settings: DashboardSettings
) -> AcquisitionPage:
    segments = queries.acquisition_segments(reader, filters)
    previous = queries.acquisition_previous_totals(reader, filters).fillna(0)
    now = segments[["sessions", "purchase_sessions", "revenue"]].sum()
    before = previous.iloc[0]
    width = settings.max_interval_width
    kpis = (
        Kpi("sessions", "Sessions", "count", total(now, "sessions"), total(before, "sessions")),
        Kpi(
            "purchase_sessions",
            "Purchasing sessions",
            "count",
            total(now, "purchase_sessions"),
            total(before, "purchase_sessions"),
        ),
        rate_kpi(
            "conversion_rate",
            "Conversion rate",
            Rate(int(total(now, "purchase_sessions")), int(total(now, "sessions"))),
            Rate(int(total(before, "purchase_sessions")), int(total(before, "sessions"))),
            "sessions",
            width,
        ),
        Kpi("revenue", "Revenue", "money", total(now, "revenue"), total(before, "revenue")),
        Kpi(
            "revenue_per_session",
            "Revenue per session",
            "money",
            ratio(total(now, "revenue"), total(now, "sessions")),
            ratio(total(before, "revenue"), total(before, "sessions")),
        ),
    )

    def breakdown(columns: list[str]) -> pd.DataFrame:
        table = (
            segments.groupby(columns, dropna=False)[["sessions", "purchase_sessions", "revenue"]]
            .sum()
            .reset_index()
            .sort_values(["sessions", *columns], ascending=[False, *[True] * len(columns)])
            .reset_index(drop=True)
        )
        table = table.assign(
            session_share=table["sessions"] / max(total(now, "sessions"), 1),
            revenue_per_session=table["revenue"] / table["sessions"].where(table["sessions"] > 0),
        )
        return with_rate_columns(table, "purchase_sessions", "sessions", "conversion", width)

    return AcquisitionPage(
        filters,
        kpis,
        by_channel=breakdown(["channel"]),
        by_source=breakdown(["source", "medium", "campaign"]),
        by_device=breakdown(["device_type"]),
        by_country=breakdown(["country"]),
        channel_daily=queries.acquisition_sessions_by_day_and_channel(reader, filters),
    )


# --- reliability ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReliabilityPage:
    filters: Filters
    kpis: tuple[Kpi, ...]
    freshness: pd.Series | None
    hourly: pd.DataFrame
    rejections: pd.DataFrame
    rejection_reasons: pd.DataFrame
    invocations: pd.DataFrame
    last_build: pd.Series | None
    slo_seconds: int
    now: datetime
    filters_note: str = RELIABILITY_FILTERS_NOTE

    @property
    def is_empty(self) -> bool:
        return self.freshness is None and self.hourly.empty and self.invocations.empty


def load_reliability(
    reader: MartReader,
    filters: Filters,
    settings: DashboardSettings,
    now: datetime | None = None,
) -> ReliabilityPage:
    now = now or datetime.now(UTC)
    freshness_rows = queries.data_freshness(reader)
    freshness = freshness_rows.iloc[0] if len(freshness_rows) else None
    health = queries.pipeline_health_with_previous(reader, filters)
    bounds = queries.hour_bounds(filters)
    hourly = health[health["hour_at"] >= bounds["from"]].reset_index(drop=True)
    before = health[health["hour_at"] < bounds["from"]]
    rejections = queries.rejections_by_hour(reader, filters)
    invocations = queries.dbt_invocations(reader)
    builds = invocations[invocations["command"] == "build"]
    slo = settings.freshness_slo_seconds

    kpis = (
        freshness_kpi(freshness, now, slo),
        Kpi(
            "max_lag",
            "Worst loader lag",
            "duration",
            max_or_none(hourly["max_lag_seconds"]),
            max_or_none(before["max_lag_seconds"]),
            lower_is_better=True,
            alert=over_slo(max_or_none(hourly["max_lag_seconds"]), slo, "lag"),
        ),
        Kpi(
            "rows_loaded",
            "Rows loaded",
            "count",
            total(hourly, "rows_loaded"),
            total(before, "rows_loaded"),
        ),
        share_kpi(
            "rejected_share",
            "Rows rejected",
            hourly,
            before,
            "rows_rejected",
            ("rows_loaded", "rows_rejected"),
            "lines",
        ),
        share_kpi("bot_share", "Bot share", hourly, before, "bot_events", ("rows_loaded",), "rows"),
        share_kpi(
            "duplicate_share",
            "Duplicate share",
            hourly,
            before,
            "duplicate_events",
            ("rows_loaded",),
            "rows",
        ),
        failed_objects_kpi(freshness),
    )
    return ReliabilityPage(
        filters,
        kpis,
        freshness,
        hourly,
        rejections,
        rejections.groupby(["stage", "reason"])["rows_rejected"]
        .sum()
        .reset_index()
        .sort_values(
            ["rows_rejected", "stage", "reason"], ascending=[False, True, True], ignore_index=True
        ),
        invocations,
        builds.iloc[0] if len(builds) else None,
        slo,
        now,
        filters_note=RELIABILITY_FILTERS_NOTE
        + (no_loads_note(queries.load_hours_span(reader)) if hourly.empty else ""),
    )


def no_loads_note(span: pd.DataFrame) -> str:
    """Why the hourly figures are empty: e.g. a backfill, whose events are older than its loads."""
    first, last = span.iloc[0]
    if pd.isna(first):
        return " Nothing has been loaded yet."
    return (
        " No loads in this range: the loader ran between "
        f"{pd.Timestamp(first):%Y-%m-%d %H:%M} and {pd.Timestamp(last):%Y-%m-%d %H:%M} UTC."
    )


def freshness_kpi(freshness: pd.Series | None, now: datetime, slo_seconds: int) -> Kpi:
    """Age of the newest loaded row the marts were built from, against the freshness SLO."""
    last_loaded = None if freshness is None else freshness["last_loaded_at"]
    if last_loaded is None or pd.isna(last_loaded):
        return Kpi(
            "freshness",
            "Data freshness",
            "duration",
            None,
            None,
            alert="nothing loaded yet",
            lower_is_better=True,
            compares=False,
        )
    age = max(0.0, (now - pd.Timestamp(last_loaded).to_pydatetime()).total_seconds())
    return Kpi(
        "freshness",
        "Data freshness",
        "duration",
        age,
        None,
        alert=over_slo(age, slo_seconds, "freshness"),
        lower_is_better=True,
        compares=False,
    )


def over_slo(seconds: float | None, slo_seconds: int, what: str) -> str:
    if seconds is None or seconds <= slo_seconds:
        return ""
    return f"{what} is over the {format_duration(slo_seconds)} SLO"


def share_kpi(
    key: str,
    label: str,
    now: pd.DataFrame,
    before: pd.DataFrame,
    part: str,
    whole: tuple[str, ...],
    unit: str,
) -> Kpi:
    def share(frame: pd.DataFrame) -> float | None:
        return ratio(total(frame, part), sum(total(frame, column) for column in whole))

    return Kpi(
        key,
        label,
        "percent",
        share(now),
        share(before),
        sample_size=int(sum(total(now, column) for column in whole)),
        sample_unit=unit,
        lower_is_better=True,
    )


def failed_objects_kpi(freshness: pd.Series | None) -> Kpi:
    failed = None if freshness is None else int(freshness["failed_objects"])
    alert = f"{failed} lake objects cannot be read; see raw.load_failures" if failed else ""
    return Kpi(
        "failed_objects",
        "Objects failing to load",
        "count",
        failed,
        None,
        alert=alert,
        lower_is_better=True,
        compares=False,
    )


def max_or_none(values: pd.Series) -> float | None:
    return None if values.dropna().empty else float(values.max())


# --- every page -----------------------------------------------------------------------------

Page = TrafficPage | FunnelPage | ProductPage | AcquisitionPage | ReliabilityPage
PageLoader = Callable[[MartReader, Filters, DashboardSettings], Page]

PAGES: dict[str, tuple[str, PageLoader]] = {
    "traffic": ("Traffic & Engagement", load_traffic),
    "funnels": ("Funnels", load_funnel),
    "products": ("Product Performance", load_product),
    "acquisition": ("Acquisition", load_acquisition),
    "reliability": ("Reliability", load_reliability),
}


def load_page(
    key: str,
    reader: MartReader,
    filters: Filters,
    settings: DashboardSettings,
    now: datetime | None = None,
) -> Page:
    """The page's figures, computed once per filters and load (see MartReader.derived): the
    dashboard's path to every page. Reliability's ages are as of the minute (it is redrawn
    every minute), so that they too can be shared for that minute."""
    _, load = PAGES[key]
    params: dict[str, object] = {**filters.params(), "settings": repr(settings)}
    if key == "reliability":
        minute = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
        params["now"] = minute
        return reader.derived(
            f"page {key}", params, lambda: load_reliability(reader, filters, settings, minute)
        )
    return reader.derived(f"page {key}", params, lambda: load(reader, filters, settings))
