-- Reconciliation: a session's event_count is its in-window rows in fact_events, none of
-- them flagged as a bot (fact_sessions holds human sessions only). Checked for the
-- sessions the latest run wrote (macros/data_test_scope.sql).

with

sessions as (
    select
        session_id,
        event_count
    from {{ ref('fact_sessions') }}
    where {{ latest_run_rows(ref('fact_sessions')) }}
),

event_counts as (
    select
        session_id,
        count(*) filter (where not is_out_of_window) as events,
        count(*) filter (where is_bot) as bot_events
    from {{ ref('fact_events') }}
    where {{ any_of('session_id', 'select sessions.session_id from sessions') }}
    group by session_id
)

select
    sessions.session_id,
    sessions.event_count,
    event_counts.events,
    event_counts.bot_events
from sessions
left join event_counts on sessions.session_id = event_counts.session_id
where
    sessions.event_count != coalesce(event_counts.events, 0)
    or coalesce(event_counts.bot_events, 0) > 0
