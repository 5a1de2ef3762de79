{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='date_day',
        touched_kind='content_days',
    )
}}

{#- One row per reporting day and normalised search query (trimmed, lower-cased, inner
    white space collapsed) searched by humans: searches, searching sessions, searches
    without results, and sessions that added to cart at or after searching it. -#}

with

searches as (
    select * from {{ ref('fact_events') }}
    where
        event_type = 'search'
        and search_query is not null
        and not is_bot
        and not is_out_of_window
        and {{ in_incremental_runs(is_touched('event_date', 'content_days')) }}
),

last_add_to_cart as (
    select
        session_id,
        max(event_at) as last_add_to_cart_at
    from {{ ref('fact_events') }}
    where
        event_type = 'add_to_cart'
        and not is_out_of_window
        and {{ any_of('session_id', 'select searches.session_id from searches') }}
    group by session_id
),

session_searches as (
    select
        searches.event_date as date_day,
        searches.search_query,
        searches.session_id,
        count(*) as searches,
        count(*) filter (where searches.results_count = 0) as zero_result_searches,
        coalesce(
            bool_or(last_add_to_cart.last_add_to_cart_at >= searches.event_at), false
        ) as added_to_cart_after
    from searches
    left join last_add_to_cart on searches.session_id = last_add_to_cart.session_id
    group by searches.event_date, searches.search_query, searches.session_id
),

final as (
    select
        date_day,
        search_query,
        cast(sum(searches) as bigint) as searches,
        count(*) as sessions,
        cast(sum(zero_result_searches) as bigint) as zero_result_searches,
        count(*) filter (where added_to_cart_after) as sessions_adding_to_cart,
        {{ processed_at() }} as processed_at
    from session_searches
    group by date_day, search_query
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}
