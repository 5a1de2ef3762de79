{{ config(materialized='view') }}

{#- One row per distinct valid event: the earliest received copy of each event id. A view,
    so the models reading it filter (by session, by time) straight on staging's indexes. -#}

with

staged as (
    select * from {{ ref('stg_raw__events') }}
),

final as (
    select
        event_id,
        event_type,
        event_at,
        session_id,
        anonymous_id,
        user_id,
        client_ts,
        received_at,
        page_url,
        referrer,
        device_type,
        user_agent,
        is_bot_user_agent,
        country,
        product_id,
        product_name,
        category,
        brand,
        currency,
        price,
        qty,
        order_id,
        search_query,
        results_count,
        list_name,
        listed_product_ids,
        is_out_of_window,
        loaded_at,
        processed_at
    from staged
    where is_valid and not is_duplicate
)

select * from final
