{{ config(materialized='table') }}

{#- One row per product seen in an in-window event, as the event's product or in a
    listing; its latest name, category, brand and price, and when it was first and
    last seen. Built from the small per-day summary, so a rebuild costs little. -#}

with

products_seen as (
    select * from {{ ref('int_products_seen_daily') }}
),

final as (
    select
        product_id,
        {{ first_non_null('product_name', 'date_day desc') }} as product_name,
        {{ first_non_null('category', 'date_day desc') }} as category,
        {{ first_non_null('brand', 'date_day desc') }} as brand,
        {{ first_non_null('latest_price', 'date_day desc') }} as latest_price,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from products_seen
    group by product_id
)

select * from final
