{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='date_day',
        touched_kind='content_days',
    )
}}

{#- One row per reporting day, device type and channel with human sessions: how many
    sessions reached each ordered funnel stage (product view → add to cart → checkout →
    purchase), on the day the session started, and the stage conversion rates. -#}

with

sessions as (
    select * from {{ ref('fact_sessions') }}
    {% if is_incremental() %}
        where {{ is_touched('session_date', 'content_days') }}
    {% endif %}
),

stage_counts as (
    select
        session_date as date_day,
        device_type,
        channel,
        count(*) as sessions,
        count(*) filter (where reached_product_view) as product_view_sessions,
        count(*) filter (where reached_add_to_cart) as add_to_cart_sessions,
        count(*) filter (where reached_checkout) as checkout_sessions,
        count(*) filter (where reached_purchase) as purchase_sessions
    from sessions
    group by session_date, device_type, channel
),

final as (
    select
        date_day,
        device_type,
        channel,
        sessions,
        product_view_sessions,
        add_to_cart_sessions,
        checkout_sessions,
        purchase_sessions,
        cast(product_view_sessions as double precision)
        / nullif(sessions, 0) as product_view_rate,
        cast(add_to_cart_sessions as double precision)
        / nullif(product_view_sessions, 0) as add_to_cart_rate,
        cast(checkout_sessions as double precision)
        / nullif(add_to_cart_sessions, 0) as checkout_rate,
        cast(purchase_sessions as double precision)
        / nullif(checkout_sessions, 0) as purchase_rate,
        cast(purchase_sessions as double precision)
        / nullif(sessions, 0) as session_conversion_rate,
        {{ processed_at() }} as processed_at
    from stage_counts
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}
