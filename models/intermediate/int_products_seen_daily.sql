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

{%- set listing_sessions -%}
    select distinct events.session_id from events where events.listed_product_ids is not null
{%- endset -%}

{#- One row per product per reporting day it appeared in a distinct, in-window event: as
    the event's product (any traffic, so every product of fact_events is known) or in a
    listing's `props.items` (impressions, counted for human traffic only). Incremental
    runs recompute the touched days, reading only their events. -#}

with

events as (
    select
        event_id,
        event_at,
        event_type,
        session_id,
        product_id,
        product_name,
        category,
        brand,
        price,
        listed_product_ids
    from {{ ref('int_events_distinct') }}
    where
        not is_out_of_window
        and {{ within_touched_days('event_at', 'content_days') }}
),

sessions as (
    select
        session_id,
        is_bot
    from {{ ref('int_sessions_aggregated') }}
    {% if is_incremental() %}
        -- Only the sessions of the listing views read above, through the index.
        where {{ any_of('session_id', listing_sessions) }}
    {% endif %}
),

-- The product an event is about (any traffic): when it was seen, and its latest attributes.
product_events as (
    select
        {{ reporting_date('event_at') }} as date_day,
        product_id,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at,
        {{ first_non_null('product_name', 'event_at desc, event_id desc') }} as product_name,
        {{ first_non_null('category', 'event_at desc, event_id desc') }} as category,
        {{ first_non_null('brand', 'event_at desc, event_id desc') }} as brand,
        {{ first_non_null('price', 'event_at desc, event_id desc') }} as latest_price
    from events
    where product_id is not null
    group by 1, 2
),

-- Listings repeat (the same category page, the same home page): count each distinct list
-- once per day before taking its items apart.
listing_views as (
    select
        {{ reporting_date('events.event_at') }} as date_day,
        events.listed_product_ids,
        count(*) filter (where not sessions.is_bot) as human_views,
        min(events.event_at) as first_seen_at,
        max(events.event_at) as last_seen_at
    from events
    inner join sessions on events.session_id = sessions.session_id
    where
        events.event_type = 'view'
        and events.listed_product_ids is not null
    group by 1, 2
),

listed_products as (
    select
        listing_views.date_day,
        listed.product_id,
        sum(listing_views.human_views) as impressions,
        min(listing_views.first_seen_at) as first_seen_at,
        max(listing_views.last_seen_at) as last_seen_at
    from listing_views
    cross join
        lateral jsonb_array_elements_text(listing_views.listed_product_ids) as listed (product_id)
    where nullif(listed.product_id, '') is not null
    group by 1, 2
),

final as (
    select
        coalesce(product_events.date_day, listed_products.date_day) as date_day,
        coalesce(product_events.product_id, listed_products.product_id) as product_id,
        cast(coalesce(listed_products.impressions, 0) as bigint) as impressions,
        least(product_events.first_seen_at, listed_products.first_seen_at) as first_seen_at,
        greatest(product_events.last_seen_at, listed_products.last_seen_at) as last_seen_at,
        product_events.product_name,
        product_events.category,
        product_events.brand,
        product_events.latest_price,
        {{ processed_at() }} as processed_at
    from product_events
    full outer join listed_products
        on
            product_events.date_day = listed_products.date_day
            and product_events.product_id = listed_products.product_id
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}
