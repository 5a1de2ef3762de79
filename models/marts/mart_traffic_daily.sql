{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='date_day',
        touched_kind='days',
        touched_following_days=29,
    )
}}

{#- One row per reporting day with human activity. Session figures belong to the day the
    session started; DAU/WAU/MAU count distinct users with a human event that day or in
    the trailing 7/30 days, so a touched day also recomputes the 29 days after it. -#}

with

{% if is_incremental() %}
    target_days as (
        {{ touched_keys('days', following_days=29) }}
    ),
{% endif %}

user_days as (
    select distinct
        user_key,
        date_day
    from {{ ref('int_user_sessions_daily') }}
    {% if is_incremental() %}
        where
            date_day >= (select min(target_days.date_day) - 29 from target_days)
            and date_day <= (select max(target_days.date_day) from target_days)
    {% endif %}
),

active_users as (
    {{ trailing_active_users('user_days', [7, 30]) }}
),

sessions as (
    select
        session_date as date_day,
        count(*) as sessions,
        cast(sum(page_views) as bigint) as page_views,
        sum(duration_seconds) as total_duration_seconds,
        count(*) filter (where is_bounce) as bounced_sessions
    from {{ ref('fact_sessions') }}
    {% if is_incremental() %}
        where {{ any_of('session_date', 'select target_days.date_day from target_days') }}
    {% endif %}
    group by session_date
),

final as (
    select
        active_users.date_day,
        active_users.users as dau,
        active_users.active_7_days as wau,
        active_users.active_30_days as mau,
        coalesce(sessions.sessions, 0) as sessions,
        coalesce(sessions.page_views, 0) as page_views,
        cast(sessions.page_views as double precision)
        / nullif(sessions.sessions, 0) as pages_per_session,
        coalesce(sessions.total_duration_seconds, 0) as total_duration_seconds,
        cast(sessions.total_duration_seconds as double precision)
        / nullif(sessions.sessions, 0) as avg_session_duration_seconds,
        coalesce(sessions.bounced_sessions, 0) as bounced_sessions,
        cast(sessions.bounced_sessions as double precision)
        / nullif(sessions.sessions, 0) as bounce_rate,
        {{ processed_at() }} as processed_at
    from active_users
    left join sessions on active_users.date_day = sessions.date_day
    where {{ in_incremental_runs(
        'active_users.date_day in (select target_days.date_day from target_days)'
    ) }}
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}
