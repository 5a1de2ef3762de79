{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='date_day',
        touched_kind='days',
    )
}}

{#- One row per reporting day, device type and channel with human sessions: the traffic
    page's figures, additive over devices and channels (users excepted: a user with
    sessions in two segments counts in both). -#}

with

sessions as (
    select * from {{ ref('fact_sessions') }}
    {% if is_incremental() %}
        where {{ is_touched('session_date', 'days') }}
    {% endif %}
),

final as (
    select
        session_date as date_day,
        device_type,
        channel,
        count(*) as sessions,
        count(distinct user_key) as users,
        cast(sum(page_views) as bigint) as page_views,
        sum(duration_seconds) as total_duration_seconds,
        count(*) filter (where is_bounce) as bounced_sessions,
        {{ processed_at() }} as processed_at
    from sessions
    group by session_date, device_type, channel
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}
