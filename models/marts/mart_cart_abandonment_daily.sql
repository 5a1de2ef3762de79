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
            and event_date in ({{ touched_keys('content_days') }})
    ),
{% endif %}

cart_events as (
    select * from {{ ref('fact_events') }}
    where
        event_type in ('add_to_cart', 'purchase')
        and product_id is not null
        and not is_bot
        and not is_out_of_window
        {% if is_incremental() %}
            and session_id in (select carting_sessions.session_id from carting_sessions)
        {% endif %}
),

carts as (
    select
        session_id,
        product_id,
        min(event_at) as first_added_at,
        sum(price * coalesce(qty, 1)) as added_value
    from cart_events
    where event_type = 'add_to_cart'
    group by session_id, product_id
),

purchased_carts as (
    select distinct
        carts.session_id,
        carts.product_id
    from carts
    inner join cart_events as purchases
        on
            carts.session_id = purchases.session_id
            and carts.product_id = purchases.product_id
            and carts.first_added_at <= purchases.event_at
            and purchases.event_type = 'purchase'
),

cart_outcomes as (
    select
        {{ reporting_date('carts.first_added_at') }} as date_day,
        carts.product_id,
        purchased_carts.session_id is not null as is_purchased,
        carts.added_value
    from carts
    left join purchased_carts
        on
            carts.session_id = purchased_carts.session_id
            and carts.product_id = purchased_carts.product_id
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
        where date_day in ({{ touched_keys('content_days') }})
    {% endif %}
    group by date_day, product_id
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}
