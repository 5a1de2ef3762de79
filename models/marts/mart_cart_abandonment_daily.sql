{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='date_day',
        touched_kind='content_days',
    )
}}

{#- One row per reporting day and product added to human carts. A cart is a session that
    added the product (dated by its first add); it is purchased when the same session
    purchases that product at or after the first add, abandoned otherwise, and an
    abandoned cart's value is the price × quantity of its adds. -#}

with

{% if is_incremental() %}
    carting_sessions as (
        select distinct session_id
        from {{ ref('fact_events') }}
        where
            event_type = 'add_to_cart'
            and {{ is_touched('event_date', 'content_days') }}
    ),
{% endif %}

cart_events as (
    select * from {{ ref('fact_events') }}
    where
        event_type in ('add_to_cart', 'purchase')
        and product_id is not null
        and not is_bot
        and not is_out_of_window
        and {{ in_incremental_runs(any_of(
            'session_id', 'select carting_sessions.session_id from carting_sessions'
        )) }}
),

-- One pass per (session, product): the first add, the value added, the last purchase.
carts as (
    select
        session_id,
        product_id,
        min(event_at) filter (where event_type = 'add_to_cart') as first_added_at,
        max(event_at) filter (where event_type = 'purchase') as last_purchased_at,
        sum(price * coalesce(qty, 1)) filter (where event_type = 'add_to_cart') as added_value
    from cart_events
    group by session_id, product_id
),

cart_outcomes as (
    select
        {{ reporting_date('first_added_at') }} as date_day,
        product_id,
        coalesce(last_purchased_at >= first_added_at, false) as is_purchased,
        added_value
    from carts
    where first_added_at is not null
),

final as (
    select
        date_day,
        product_id,
        count(*) as carts_with_product,
        count(*) filter (where is_purchased) as carts_purchased,
        count(*) filter (where not is_purchased) as carts_abandoned,
        coalesce(sum(added_value) filter (where not is_purchased), 0) as abandoned_value,
        {{ processed_at() }} as processed_at
    from cart_outcomes
    {% if is_incremental() %}
        where {{ is_touched('date_day', 'content_days') }}
    {% endif %}
    group by date_day, product_id
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}
