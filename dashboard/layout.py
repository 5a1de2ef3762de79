"""What goes on each page: its loader, which filters it honours, its charts and its tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from htmltools import Tag, tags

from dashboard import charts, pages
from dashboard.formatting import format_duration
from dashboard.views import Column


@dataclass(frozen=True)
class Chart:
    id: str
    draw: Callable[[Any], go.Figure]


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    rows: Callable[[Any], pd.DataFrame]
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class PageLayout:
    key: str
    title: str
    honours_segments: bool
    charts: tuple[Chart, ...]
    tables: tuple[Table, ...]
    note: Callable[[Any], str] = lambda _page: ""
    details: Callable[[Any], Tag | None] = lambda _page: None


CONVERSION = (
    Column("sessions", "Sessions"),
    Column("purchase_sessions", "Purchasing sessions"),
    Column("conversion", "Conversion", "percent"),
    Column("conversion_low", "95% low", "percent"),
    Column("conversion_high", "95% high", "percent"),
    Column("conversion_warning", "Few sessions", "flag"),
)
ACQUISITION = (
    *CONVERSION,
    Column("session_share", "Share of sessions", "percent"),
    Column("revenue", "Revenue", "money"),
    Column("revenue_per_session", "Revenue / session", "money"),
)
PRODUCT = (
    Column("product_id", "Product id", "text"),
    Column("product_name", "Product", "text"),
    Column("category", "Category", "text"),
    Column("impressions", "Impressions"),
    Column("clicks", "Clicks"),
    Column("ctr", "CTR", "percent"),
    Column("detail_views", "Views"),
    Column("add_to_cart_sessions", "Add-to-cart sessions"),
    Column("atc_rate", "ATC rate", "percent"),
    Column("atc_rate_warning", "Few views", "flag"),
    Column("purchases", "Purchases"),
    Column("units", "Units"),
    Column("revenue", "Revenue", "money"),
)

# A category's row: the product columns without the product's own identity and warning flag.
CATEGORY = (
    Column("category", "Category", "text"),
    *(
        column
        for column in PRODUCT
        if column.name not in {"product_id", "product_name", "category", "atc_rate_warning"}
    ),
)


def reliability_details(page: pages.ReliabilityPage) -> Tag:
    """The timestamps behind the freshness figure and the last dbt build, in words."""
    rows: list[tuple[str, str]] = []
    if page.freshness is not None:
        freshness = page.freshness
        rows += [
            ("Newest row loaded", at(freshness["last_loaded_at"])),
            ("Newest event received", at(freshness["last_received_at"])),
            ("Newest event time", at(freshness["last_event_at"])),
            (
                "Last loader run",
                f"{freshness['last_load_status']} at {at(freshness['last_load_finished_at'])}",
            ),
        ]
    build = page.last_build
    if build is None:
        rows.append(("Last dbt build", "none recorded yet"))
    else:
        rows += [
            (
                "Last dbt build",
                f"{build['status']} at {at(build['finished_at'])} "
                f"({format_duration(float(build['elapsed_seconds']))})",
            ),
            (
                "Models",
                f"{int(build['models_ok'])} built, {int(build['models_error'])} failed",
            ),
            (
                "Tests",
                f"{int(build['tests_passed'])} passed, {int(build['tests_failed'])} failed, "
                f"{int(build['tests_warned'])} warned",
            ),
        ]
    rows.append(("Freshness SLO", format_duration(page.slo_seconds)))
    return tags.dl(
        {"class": "details", "id": "reliability-details"},
        *(part for label, value in rows for part in (tags.dt(label), tags.dd(value))),
    )


def at(value: object) -> str:
    if value is None or pd.isna(value):
        return "never"
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M UTC")


LAYOUTS: tuple[PageLayout, ...] = (
    PageLayout(
        "traffic",
        "Traffic & Engagement",
        honours_segments=True,
        charts=(
            Chart("traffic_users", lambda page: charts.active_users(page.daily)),
            Chart("traffic_sessions", lambda page: charts.sessions_and_bounce_rate(page.daily)),
        ),
        tables=(
            Table(
                "traffic_daily",
                "Per day",
                lambda page: page.daily,
                (
                    Column("date_day", "Day", "date"),
                    Column("dau", "DAU"),
                    Column("wau", "WAU"),
                    Column("mau", "MAU"),
                    Column("sessions", "Sessions"),
                    Column("page_views", "Page views"),
                    Column("pages_per_session", "Pages / session", "decimal"),
                    Column("avg_session_duration_seconds", "Avg duration", "duration"),
                    Column("bounce_rate", "Bounce rate", "percent"),
                ),
            ),
        ),
        note=lambda page: page.users_note,
    ),
    PageLayout(
        "funnels",
        "Funnels",
        honours_segments=True,
        charts=(
            Chart("funnels_stages", lambda page: charts.funnel(page.stages)),
            Chart("funnels_daily", lambda page: charts.conversion_per_day(page.daily)),
            Chart(
                "funnels_device",
                lambda page: charts.conversion_with_intervals(
                    page.by_device, "device_type", "Conversion by device (95% interval)"
                ),
            ),
            Chart(
                "funnels_channel",
                lambda page: charts.conversion_with_intervals(
                    page.by_channel, "channel", "Conversion by channel (95% interval)"
                ),
            ),
        ),
        tables=(
            Table(
                "funnels_stages_table",
                "Stages",
                lambda page: page.stages,
                (
                    Column("stage", "Stage", "text"),
                    Column("sessions", "Sessions"),
                    Column("previous_stage_sessions", "Sample (previous stage)"),
                    Column("conversion", "Conversion", "percent"),
                    Column("drop_off", "Drop-off", "percent"),
                    Column("conversion_low", "95% low", "percent"),
                    Column("conversion_high", "95% high", "percent"),
                    Column("conversion_warning", "Few sessions", "flag"),
                ),
            ),
            Table(
                "funnels_by_device",
                "By device",
                lambda page: page.by_device,
                (Column("device_type", "Device", "text"), *CONVERSION),
            ),
            Table(
                "funnels_by_channel",
                "By channel",
                lambda page: page.by_channel,
                (Column("channel", "Channel", "text"), *CONVERSION),
            ),
        ),
    ),
    PageLayout(
        "products",
        "Product Performance",
        honours_segments=False,
        charts=(
            Chart(
                "products_categories",
                lambda page: charts.revenue_by(page.categories, "category", "Revenue by category"),
            ),
            Chart(
                "products_top",
                lambda page: charts.revenue_by(page.top, "product_name", "Top products by revenue"),
            ),
        ),
        tables=(
            Table("products_top_table", "Top products", lambda page: page.top, PRODUCT),
            Table(
                "products_bottom_table",
                "Bottom products (viewed, least revenue)",
                lambda page: page.bottom,
                PRODUCT,
            ),
            Table("products_all", "All products", lambda page: page.products, PRODUCT),
            Table(
                "products_categories_table",
                "Categories",
                lambda page: page.categories,
                CATEGORY,
            ),
            Table(
                "products_carts",
                "Cart abandonment",
                lambda page: page.carts,
                (
                    Column("product_name", "Product", "text"),
                    Column("carts_with_product", "Carts"),
                    Column("carts_purchased", "Purchased"),
                    Column("carts_abandoned", "Abandoned"),
                    Column("abandoned_value", "Value abandoned", "money"),
                ),
            ),
            Table(
                "products_searches",
                "Search terms",
                lambda page: page.searches,
                (
                    Column("search_query", "Search", "text"),
                    Column("searches", "Searches"),
                    Column("sessions", "Sessions"),
                    Column("zero_result_searches", "No results"),
                    Column("zero_result_share", "No-result share", "percent"),
                    Column("sessions_adding_to_cart", "Sessions adding to cart"),
                ),
            ),
        ),
        note=lambda page: page.filters_note,
    ),
    PageLayout(
        "acquisition",
        "Acquisition",
        honours_segments=True,
        charts=(
            Chart(
                "acquisition_daily",
                lambda page: charts.sessions_by_channel_per_day(page.channel_daily),
            ),
            Chart(
                "acquisition_conversion",
                lambda page: charts.conversion_with_intervals(
                    page.by_channel, "channel", "Conversion by channel (95% interval)"
                ),
            ),
        ),
        tables=(
            Table(
                "acquisition_channels",
                "Channels",
                lambda page: page.by_channel,
                (Column("channel", "Channel", "text"), *ACQUISITION),
            ),
            Table(
                "acquisition_sources",
                "Source / medium / campaign (source is the referrer's site)",
                lambda page: page.by_source,
                (
                    Column("source", "Source", "text"),
                    Column("medium", "Medium", "text"),
                    Column("campaign", "Campaign", "text"),
                    *ACQUISITION,
                ),
            ),
            Table(
                "acquisition_devices",
                "Devices",
                lambda page: page.by_device,
                (Column("device_type", "Device", "text"), *ACQUISITION),
            ),
            Table(
                "acquisition_countries",
                "Countries",
                lambda page: page.by_country,
                (Column("country", "Country", "text"), *ACQUISITION),
            ),
        ),
    ),
    PageLayout(
        "reliability",
        "Reliability",
        honours_segments=False,
        charts=(
            Chart("reliability_rows", lambda page: charts.rows_per_hour(page.hourly)),
            Chart(
                "reliability_rejections", lambda page: charts.rejections_per_hour(page.rejections)
            ),
            Chart("reliability_lag", lambda page: charts.loader_lag(page.hourly, page.slo_seconds)),
        ),
        tables=(
            Table(
                "reliability_reasons",
                "Rejected rows by reason",
                lambda page: page.rejection_reasons,
                (
                    Column("stage", "Stage", "text"),
                    Column("reason", "Reason", "text"),
                    Column("rows_rejected", "Rows"),
                ),
            ),
            Table(
                "reliability_hours",
                "Per load hour",
                lambda page: page.hourly,
                (
                    Column("hour_at", "Hour", "time"),
                    Column("objects_loaded", "Objects"),
                    Column("rows_loaded", "Rows loaded"),
                    Column("rows_rejected", "Rows rejected"),
                    Column("bot_events", "Bot events"),
                    Column("duplicate_events", "Duplicates"),
                    Column("max_lag_seconds", "Worst lag", "duration"),
                    Column("avg_lag_seconds", "Average lag", "duration"),
                ),
            ),
            Table(
                "reliability_builds",
                "Recent dbt invocations",
                lambda page: page.invocations,
                (
                    Column("command", "Command", "text"),
                    Column("status", "Status", "text"),
                    Column("started_at", "Started", "time"),
                    Column("finished_at", "Finished", "time"),
                    Column("models_ok", "Models ok"),
                    Column("models_error", "Models failed"),
                    Column("tests_passed", "Tests passed"),
                    Column("tests_failed", "Tests failed"),
                    Column("tests_warned", "Tests warned"),
                    Column("elapsed_seconds", "Elapsed", "duration"),
                ),
            ),
        ),
        note=lambda page: page.filters_note,
        details=reliability_details,
    ),
)
