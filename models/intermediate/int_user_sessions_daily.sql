{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='session_id',
        touched_kind='sessions',
        indexes=[
            {'columns': ['session_id']},
            {'columns': ['date_day', 'user_key']},
            {'columns': ['processed_at']},
        ],
        post_hook="{{ refresh_statistics() }}",
    )
}}

{#- One row per human session, reporting day and user_key with at least one of the
    session's distinct, in-window events that day: who was active when, small enough
    for DAU/WAU/MAU to be counted from it instead of from every event. -#}

with

events as (
    select
        session_id,
        anonymous_id,
        user_id,
        event_at
    from {{ ref('int_events_distinct') }}
    where
        not is_out_of_window
        and {{ in_incremental_runs(is_touched('session_id', 'sessions')) }}
),

human_sessions as (
    select session_id
    from {{ ref('int_sessions_aggregated') }}
    where
        not is_bot
        and {{ in_incremental_runs(is_touched('session_id', 'sessions')) }}
),

identities as (
    select
        anonymous_id,
        user_id
    from {{ ref('int_identities_stitched') }}
),

final as (
    select distinct
        {{ reporting_date('events.event_at') }} as date_day,
        events.session_id,
        coalesce(events.user_id, identities.user_id, events.anonymous_id) as user_key,
        {{ processed_at() }} as processed_at
    from events
    inner join human_sessions on events.session_id = human_sessions.session_id
    left join identities on events.anonymous_id = identities.anonymous_id
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}
