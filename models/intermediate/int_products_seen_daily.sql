{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='date_day',
        touched_kind='content_days',
        indexes=[
            {'columns': ['date_day']},
            {'columns': ['processed_at']},
        ],
    )
}}

{#- One row per product per reporting day it appeared in a distinct, in-window event: as
    the event's product (any traffic, so every product of fact_events is known) or in a
    listing's `props.items` (impressions, counted for human traffic only). Incremental
    runs recompute the touched days, reading only their events. -#}

with

{% if is_incremental() %}
    target_days as (
        {{ touched_keys('content_days') }}
    ),

    events as (
        select distinct_events.*
        from target_days
        inner join {{ ref('int_events_distinct') }} as distinct_events
            on
                {{ reporting_day_start('target_days.date_day') }} <= distinct_events.event_at
                and {{ reporting_day_start('target_days.date_day + 1') }} > distinct_events.event_at
        where not distinct_events.is_out_of_window
    ),
{% else %}
    events as (
        select * from {{ ref('int_events_distinct') }}
        where not is_out_of_window
    ),
{% endif %}

sessions as (
    select
        session_id,
        is_bot
    from {{ ref('int_sessions_aggregated') }}
),

product_events as (
    select
        event_id,
        event_at,
        product_id,
        product_name,
        category,
        brand,
        price,
        false as is_impression,
        false as is_human
    from events
    where product_id is not null
),

impressions as (
    select
        events.event_id,
        events.event_at,
        listed.product_id,
        null as product_name,
        null as category,
        null as brand,
        cast(null as numeric) as price,
        true as is_impression,
        not sessions.is_bot as is_human
    from events
    inner join sessions on events.session_id = sessions.session_id
    cross join lateral jsonb_array_elements_text(events.listed_product_ids) as listed (product_id)
    where
        events.event_type = 'view'
        and nullif(listed.product_id, '') is not null
),

sightings as (
    select * from product_events
    union all
    select * from impressions
),

final as (
    select
        {{ reporting_date('event_at') }} as date_day,
        product_id,
        count(*) filter (where is_impression and is_human) as impressions,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at,
        {{ first_non_null('product_name', 'event_at desc, event_id desc') }} as product_name,
        {{ first_non_null('category', 'event_at desc, event_id desc') }} as category,
        {{ first_non_null('brand', 'event_at desc, event_id desc') }} as brand,
        {{ first_non_null('price', 'event_at desc, event_id desc') }} as latest_price,
        {{ processed_at() }} as processed_at
    from sightings
    group by 1, 2
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}
