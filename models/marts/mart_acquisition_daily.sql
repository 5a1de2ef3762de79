{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='date_day',
        touched_kind='content_days',
    )
}}

{#- One row per reporting day, channel, source, medium, campaign, device type and country
    with human sessions (campaign and country may be null): where sessions come from and
    what they buy, on the day the session started. -#}

with

sessions as (
    select * from {{ ref('fact_sessions') }}
    {% if is_incremental() %}
        where {{ is_touched('session_date', 'content_days') }}
    {% endif %}
),

final as (
    select
        session_date as date_day,
        channel,
        source,
        medium,
        campaign,
        device_type,
        country,
        count(*) as sessions,
        count(*) filter (where is_bounce) as bounced_sessions,
        count(*) filter (where orders > 0) as purchase_sessions,
        cast(sum(orders) as bigint) as orders,
        sum(revenue) as revenue,
        {{ processed_at() }} as processed_at
    from sessions
    group by session_date, channel, source, medium, campaign, device_type, country
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}
