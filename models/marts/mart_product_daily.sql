{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='date_day',
        touched_kind='days',
    )
}}

{#- One row per reporting day and product with human activity: impressions in listings,
    clicks, detail views, carts, purchases and revenue, counted on the day of each event. -#}

with

product_events as (
    select * from {{ ref('fact_events') }}
    where
        product_id is not null
        and not is_bot
        and not is_out_of_window
        and {{ in_incremental_runs(is_touched('event_date', 'days')) }}
),

products_seen as (
    select * from {{ ref('int_products_seen_daily') }}
    where
        impressions > 0
        and {{ in_incremental_runs(is_touched('date_day', 'days')) }}
),

event_counts as (
    select
        event_date as date_day,
        product_id,
        count(*) filter (where event_type = 'click') as clicks,
        count(*) filter (where event_type = 'view') as detail_views,
        count(distinct session_id) filter (where event_type = 'view') as detail_view_sessions,
        count(distinct user_key) filter (where event_type = 'view') as unique_viewers,
        count(distinct session_id) filter (
            where event_type = 'add_to_cart'
        ) as add_to_cart_sessions,
        count(*) filter (where event_type = 'purchase') as purchases,
        count(distinct session_id) filter (where event_type = 'purchase') as purchase_sessions,
        coalesce(sum(coalesce(qty, 1)) filter (where event_type = 'purchase'), 0) as units,
        coalesce(sum(revenue), 0) as revenue
    from product_events
    group by event_date, product_id
),

joined as (
    select
        coalesce(event_counts.date_day, products_seen.date_day) as date_day,
        coalesce(event_counts.product_id, products_seen.product_id) as product_id,
        coalesce(products_seen.impressions, 0) as impressions,
        coalesce(event_counts.clicks, 0) as clicks,
        coalesce(event_counts.detail_views, 0) as detail_views,
        coalesce(event_counts.detail_view_sessions, 0) as detail_view_sessions,
        coalesce(event_counts.unique_viewers, 0) as unique_viewers,
        coalesce(event_counts.add_to_cart_sessions, 0) as add_to_cart_sessions,
        coalesce(event_counts.purchases, 0) as purchases,
        coalesce(event_counts.purchase_sessions, 0) as purchase_sessions,
        coalesce(event_counts.units, 0) as units,
        coalesce(event_counts.revenue, 0) as revenue
    from event_counts
    full outer join products_seen
        on
            event_counts.date_day = products_seen.date_day
            and event_counts.product_id = products_seen.product_id
),

final as (
    select
        date_day,
        product_id,
        impressions,
        clicks,
        cast(clicks as double precision) / nullif(impressions, 0) as ctr,
        detail_views,
        detail_view_sessions,
        unique_viewers,
        add_to_cart_sessions,
        cast(add_to_cart_sessions as double precision)
        / nullif(detail_view_sessions, 0) as atc_rate,
        purchases,
        purchase_sessions,
        units,
        revenue,
        cast(purchase_sessions as double precision)
        / nullif(detail_view_sessions, 0) as view_to_purchase_rate,
        {{ processed_at() }} as processed_at
    from joined
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}
