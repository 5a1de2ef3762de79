"""One function per question a page asks of the marts: filters in, data frame out.

Each statement is parameterised; filters only ever reach Postgres as parameters. Sums are
cast back to bigint/float8 (Postgres widens `sum(bigint)` to numeric), so frames hold plain
numbers. Ranges that include the previous period (for the KPI change) say so in their name.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd
from psycopg import sql

from dashboard.filters import Filters
from dashboard.reader import MartReader


def segment_clause(filters: Filters) -> sql.Composable:
    """Device and channel conditions for marts that carry both columns."""
    conditions = []
    if filters.devices:
        conditions.append(sql.SQL("and device_type = any(%(devices)s)"))
    if filters.channels:
        conditions.append(sql.SQL("and channel = any(%(channels)s)"))
    return sql.SQL(" ").join(conditions)


def hour_bounds(filters: Filters) -> dict[str, datetime]:
    """The range and the previous period as UTC instants, for the hourly marts."""

    def midnight(day: object) -> datetime:
        return datetime.combine(day, time(), tzinfo=UTC)

    return {
        "previous_from": midnight(filters.previous().start),
        "from": midnight(filters.start),
        "until": midnight(filters.end + timedelta(days=1)),
    }


# --- shared ---------------------------------------------------------------------------------


def data_coverage(reader: MartReader) -> pd.DataFrame:
    """first_day, last_day: the days the traffic mart covers (nulls when it is empty)."""
    return reader.frame(
        sql.SQL(
            "select min(date_day) as first_day, max(date_day) as last_day"
            " from marts.mart_traffic_daily"
        )
    )


def filter_choices(reader: MartReader) -> pd.DataFrame:
    """kind ('device' | 'channel'), value: what the filters can choose from."""
    return reader.frame(
        sql.SQL(
            """
            select distinct 'device' as kind, device_type as value
            from marts.mart_engagement_daily
            where device_type is not null
            union
            select distinct 'channel' as kind, channel as value
            from marts.mart_engagement_daily
            where channel is not null
            order by kind, value
            """
        )
    )


# --- traffic & engagement -------------------------------------------------------------------


def engagement_by_day_with_previous(reader: MartReader, filters: Filters) -> pd.DataFrame:
    """date_day, sessions, page_views, total_duration_seconds, bounced_sessions, from the
    previous period's start to the range's end, for the chosen devices and channels."""
    statement = sql.SQL(
        """
        select
            date_day,
            sum(sessions)::bigint as sessions,
            sum(page_views)::bigint as page_views,
            sum(total_duration_seconds)::float8 as total_duration_seconds,
            sum(bounced_sessions)::bigint as bounced_sessions
        from marts.mart_engagement_daily
        where date_day between %(previous_start)s and %(end)s {segment}
        group by date_day
        order by date_day
        """
    ).format(segment=segment_clause(filters))
    return reader.frame(statement, filters.params())


def active_users_by_day_with_previous(reader: MartReader, filters: Filters) -> pd.DataFrame:
    """date_day, dau, wau, mau (all devices and channels: users are counted per day only)."""
    statement = sql.SQL(
        """
        select date_day, dau::bigint as dau, wau::bigint as wau, mau::bigint as mau
        from marts.mart_traffic_daily
        where date_day between %(previous_start)s and %(end)s
        order by date_day
        """
    )
    return reader.frame(statement, filters.params())


# --- funnels --------------------------------------------------------------------------------

FUNNEL_SUMS = sql.SQL(
    """
    sum(sessions)::bigint as sessions,
    sum(product_view_sessions)::bigint as product_view_sessions,
    sum(add_to_cart_sessions)::bigint as add_to_cart_sessions,
    sum(checkout_sessions)::bigint as checkout_sessions,
    sum(purchase_sessions)::bigint as purchase_sessions
    """
)


def funnel_by_day_with_previous(reader: MartReader, filters: Filters) -> pd.DataFrame:
    """date_day and the sessions reaching each funnel stage, previous period included."""
    statement = sql.SQL(
        """
        select date_day, {sums}
        from marts.mart_funnel_daily
        where date_day between %(previous_start)s and %(end)s {segment}
        group by date_day
        order by date_day
        """
    ).format(sums=FUNNEL_SUMS, segment=segment_clause(filters))
    return reader.frame(statement, filters.params())


def funnel_by_segment(reader: MartReader, filters: Filters) -> pd.DataFrame:
    """device_type, channel and the sessions reaching each stage over the range."""
    statement = sql.SQL(
        """
        select device_type, channel, {sums}
        from marts.mart_funnel_daily
        where date_day between %(start)s and %(end)s {segment}
        group by device_type, channel
        order by sessions desc, device_type, channel
        """
    ).format(sums=FUNNEL_SUMS, segment=segment_clause(filters))
    return reader.frame(statement, filters.params())


# --- product performance (per day and product: devices and channels do not apply) -----------

PRODUCT_SUMS = sql.SQL(
    """
    sum(impressions)::bigint as impressions,
    sum(clicks)::bigint as clicks,
    sum(detail_views)::bigint as detail_views,
    sum(detail_view_sessions)::bigint as detail_view_sessions,
    sum(add_to_cart_sessions)::bigint as add_to_cart_sessions,
    sum(purchases)::bigint as purchases,
    sum(units)::bigint as units,
    sum(revenue)::float8 as revenue
    """
)


def product_previous_totals(reader: MartReader, filters: Filters) -> pd.DataFrame:
    """One row: the product sums over all products in the previous period (nulls when it
    has no rows). The range's own totals are the sums of `product_performance`."""
    statement = sql.SQL(
        """
        select {sums}
        from marts.mart_product_daily
        where date_day >= %(previous_start)s and date_day < %(start)s
        """
    ).format(sums=PRODUCT_SUMS)
    return reader.frame(statement, filters.params())


def product_performance(reader: MartReader, filters: Filters) -> pd.DataFrame:
    """product_id, product_name, category and the product sums over the range."""
    statement = sql.SQL(
        """
        with per_product as (
            select product_id, {sums}
            from marts.mart_product_daily
            where date_day between %(start)s and %(end)s
            group by product_id
        )

        select
            per_product.product_id,
            coalesce(dim_product.product_name, per_product.product_id) as product_name,
            coalesce(dim_product.category, 'Unknown') as category,
            per_product.impressions,
            per_product.clicks,
            per_product.detail_views,
            per_product.detail_view_sessions,
            per_product.add_to_cart_sessions,
            per_product.purchases,
            per_product.units,
            per_product.revenue
        from per_product
        left join marts.dim_product on per_product.product_id = dim_product.product_id
        order by per_product.revenue desc, per_product.product_id
        """
    ).format(sums=PRODUCT_SUMS)
    return reader.frame(statement, filters.params())


def cart_abandonment(reader: MartReader, filters: Filters) -> pd.DataFrame:
    """product_id, product_name, carts_with_product, carts_purchased, carts_abandoned,
    abandoned_value over the range, most value abandoned first."""
    statement = sql.SQL(
        """
        with per_product as (
            select
                product_id,
                sum(carts_with_product)::bigint as carts_with_product,
                sum(carts_purchased)::bigint as carts_purchased,
                sum(carts_abandoned)::bigint as carts_abandoned,
                sum(abandoned_value)::float8 as abandoned_value
            from marts.mart_cart_abandonment_daily
            where date_day between %(start)s and %(end)s
            group by product_id
        )

        select
            per_product.product_id,
            coalesce(dim_product.product_name, per_product.product_id) as product_name,
            per_product.carts_with_product,
            per_product.carts_purchased,
            per_product.carts_abandoned,
            per_product.abandoned_value
        from per_product
        left join marts.dim_product on per_product.product_id = dim_product.product_id
        order by per_product.abandoned_value desc, per_product.product_id
        """
    )
    return reader.frame(statement, filters.params())


def search_terms(reader: MartReader, filters: Filters, limit: int = 200) -> pd.DataFrame:
    """search_query, searches, sessions, zero_result_searches, sessions_adding_to_cart over
    the range, most searched first (at most `limit` queries)."""
    statement = sql.SQL(
        """
        select
            search_query,
            sum(searches)::bigint as searches,
            sum(sessions)::bigint as sessions,
            sum(zero_result_searches)::bigint as zero_result_searches,
            sum(sessions_adding_to_cart)::bigint as sessions_adding_to_cart
        from marts.mart_search_daily
        where date_day between %(start)s and %(end)s
        group by search_query
        order by searches desc, search_query
        limit %(limit)s
        """
    )
    return reader.frame(statement, {**filters.params(), "limit": limit})


# --- acquisition ----------------------------------------------------------------------------


ACQUISITION_SUMS = sql.SQL(
    """
    sum(sessions)::bigint as sessions,
    sum(purchase_sessions)::bigint as purchase_sessions,
    sum(revenue)::float8 as revenue
    """
)


def acquisition_segments(reader: MartReader, filters: Filters) -> pd.DataFrame:
    """channel, source, medium, campaign, device_type, country and their sessions,
    purchase_sessions and revenue over the range: every breakdown the page shows is a sum of
    these rows. Grouping once by all of them is cheaper in Postgres than one grouping set per
    breakdown (one hash table, not four), and the rows left are few."""
    statement = sql.SQL(
        """
        select channel, source, medium, campaign, device_type, country, {sums}
        from marts.mart_acquisition_daily
        where date_day between %(start)s and %(end)s {segment}
        group by channel, source, medium, campaign, device_type, country
        """
    ).format(sums=ACQUISITION_SUMS, segment=segment_clause(filters))
    return reader.frame(statement, filters.params())


def acquisition_sessions_by_day_and_channel(reader: MartReader, filters: Filters) -> pd.DataFrame:
    """date_day, channel, sessions over the range. Read from mart_engagement_daily: the same
    sessions (fact_sessions by session day), kept per day × device × channel only, so a far
    smaller table than mart_acquisition_daily's every source × campaign × country."""
    statement = sql.SQL(
        """
        select date_day, channel, sum(sessions)::bigint as sessions
        from marts.mart_engagement_daily
        where date_day between %(start)s and %(end)s {segment}
        group by date_day, channel
        order by date_day, channel
        """
    ).format(segment=segment_clause(filters))
    return reader.frame(statement, filters.params())


def acquisition_previous_totals(reader: MartReader, filters: Filters) -> pd.DataFrame:
    """One row: sessions, purchase_sessions, revenue over the previous period (nulls when
    it has no rows)."""
    statement = sql.SQL(
        """
        select {sums}
        from marts.mart_acquisition_daily
        where date_day >= %(previous_start)s and date_day < %(start)s {segment}
        """
    ).format(sums=ACQUISITION_SUMS, segment=segment_clause(filters))
    return reader.frame(statement, filters.params())


# --- reliability (per load hour and warehouse-wide: devices and channels do not apply) ------


def data_freshness(reader: MartReader) -> pd.DataFrame:
    """The one row of mart_data_freshness (no rows before the first build)."""
    return reader.frame(
        sql.SQL(
            """
            select
                checked_at, last_loaded_at, last_received_at, last_event_at,
                failed_objects, last_load_status, last_load_finished_at
            from marts.mart_data_freshness
            """
        )
    )


def pipeline_health_with_previous(reader: MartReader, filters: Filters) -> pd.DataFrame:
    """One row per load hour from the previous period's start to the range's end."""
    statement = sql.SQL(
        """
        select
            hour_at,
            objects_loaded::bigint as objects_loaded,
            rows_loaded::bigint as rows_loaded,
            rows_rejected::bigint as rows_rejected,
            bot_events::bigint as bot_events,
            duplicate_events::bigint as duplicate_events,
            max_lag_seconds::float8 as max_lag_seconds,
            avg_lag_seconds::float8 as avg_lag_seconds
        from marts.mart_pipeline_health_hourly
        where hour_at >= %(previous_from)s and hour_at < %(until)s
        order by hour_at
        """
    )
    return reader.frame(statement, hour_bounds(filters))


def load_hours_span(reader: MartReader) -> pd.DataFrame:
    """first_hour, last_hour: the load hours the pipeline mart covers (nulls when empty)."""
    return reader.frame(
        sql.SQL(
            "select min(hour_at) as first_hour, max(hour_at) as last_hour"
            " from marts.mart_pipeline_health_hourly"
        )
    )


def rejections_by_hour(reader: MartReader, filters: Filters) -> pd.DataFrame:
    """hour_at, stage, reason, rows_rejected over the range."""
    statement = sql.SQL(
        """
        select hour_at, stage, reason, sum(rows_rejected)::bigint as rows_rejected
        from marts.mart_rejections_hourly
        where hour_at >= %(from)s and hour_at < %(until)s
        group by hour_at, stage, reason
        order by hour_at, stage, reason
        """
    )
    return reader.frame(statement, hour_bounds(filters))


def dbt_invocations(reader: MartReader, limit: int = 10) -> pd.DataFrame:
    """The latest dbt invocations, newest first."""
    statement = sql.SQL(
        """
        select
            invocation_id, command, started_at, finished_at, status,
            models_ok, models_error, tests_passed, tests_failed, tests_warned, elapsed_seconds
        from marts.dbt_invocations
        order by started_at desc
        limit %(limit)s
        """
    )
    return reader.frame(statement, {"limit": limit})
