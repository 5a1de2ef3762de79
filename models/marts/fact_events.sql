{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='session_id',
        touched_kind='sessions',
        indexes=[
            {'columns': ['session_id']},
            {'columns': ['event_date']},
            {'columns': ['processed_at']},
            {'columns': ['is_bot', 'loaded_at']},
        ],
        post_hook="{{ refresh_statistics(['processed_at']) }}",
    )
}}

{#- One row per distinct event (the earliest received copy), bots and out-of-window events
    included and flagged. Incremental runs rewrite every event of the touched sessions:
    a late event, a bot verdict or an identity change can alter any of them. -#}

with

events as (
    select * from {{ ref('int_events_distinct') }}
    {% if is_incremental() %}
        where {{ is_touched('session_id', 'sessions') }}
    {% endif %}
),

sessions as (
    select
        session_id,
        is_bot
    from {{ ref('int_sessions_aggregated') }}
    {% if is_incremental() %}
        where {{ is_touched('session_id', 'sessions') }}
    {% endif %}
),

identities as (
    select
        anonymous_id,
        user_id
    from {{ ref('int_identities_stitched') }}
),

final as (
    select
        events.event_id,
        events.event_type,
        events.event_at,
        {{ reporting_date('events.event_at') }} as event_date,
        events.session_id,
        events.anonymous_id,
        coalesce(events.user_id, identities.user_id, events.anonymous_id) as user_key,
        events.user_id,
        events.product_id,
        events.product_name,
        events.category,
        events.brand,
        events.order_id,
        events.currency,
        events.price,
        events.qty,
        case
            when events.event_type = 'purchase' then events.price * coalesce(events.qty, 1)
        end as revenue,
        events.page_url,
        events.referrer,
        events.device_type,
        events.country,
        events.search_query,
        events.results_count,
        events.list_name,
        events.listed_product_ids,
        coalesce(sessions.is_bot, events.is_bot_user_agent) as is_bot,
        events.is_out_of_window,
        events.client_ts,
        events.received_at,
        events.loaded_at,
        {{ processed_at() }} as processed_at
    from events
    left join sessions on events.session_id = sessions.session_id
    left join identities on events.anonymous_id = identities.anonymous_id
    {% if not is_incremental() %}
        -- Rows of a day stay together on disk: the daily marts read one day at a time.
        order by events.event_at
    {% endif %}
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}
