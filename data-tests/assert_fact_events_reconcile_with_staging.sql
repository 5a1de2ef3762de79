-- Reconciliation: every distinct valid event id landed in staging is one fact_events row.
-- Checked per session for the sessions the latest run wrote (macros/data_test_scope.sql);
-- returns the sessions whose counts differ.

with

scope as (
    select distinct session_id
    from {{ ref('fact_events') }}
    where {{ latest_run_rows(ref('fact_events')) }}
),

staged as (
    select
        session_id,
        count(distinct event_id) as events
    from {{ ref('stg_raw__events') }}
    where
        is_valid
        and {{ any_of('session_id', 'select scope.session_id from scope') }}
    group by session_id
),

facts as (
    select
        session_id,
        count(*) as events
    from {{ ref('fact_events') }}
    where {{ any_of('session_id', 'select scope.session_id from scope') }}
    group by session_id
)

select
    coalesce(staged.session_id, facts.session_id) as session_id,
    staged.events as distinct_events_in_staging,
    facts.events as fact_events_rows
from staged
full outer join facts on staged.session_id = facts.session_id
where coalesce(staged.events, 0) != coalesce(facts.events, 0)
