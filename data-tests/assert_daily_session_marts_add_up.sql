-- The daily session marts count the same human sessions: per day, traffic's sessions
-- equal the sums over devices and channels of engagement, funnel and acquisition.

with

traffic as (
    select
        date_day,
        sessions
    from {{ ref('mart_traffic_daily') }}
),

engagement as (
    select
        date_day,
        sum(sessions) as sessions
    from {{ ref('mart_engagement_daily') }}
    group by date_day
),

funnel as (
    select
        date_day,
        sum(sessions) as sessions
    from {{ ref('mart_funnel_daily') }}
    group by date_day
),

acquisition as (
    select
        date_day,
        sum(sessions) as sessions
    from {{ ref('mart_acquisition_daily') }}
    group by date_day
)

select
    coalesce(traffic.date_day, engagement.date_day, funnel.date_day, acquisition.date_day)
        as date_day,
    traffic.sessions as traffic_sessions,
    engagement.sessions as engagement_sessions,
    funnel.sessions as funnel_sessions,
    acquisition.sessions as acquisition_sessions
from traffic
full outer join engagement on traffic.date_day = engagement.date_day
full outer join funnel on coalesce(traffic.date_day, engagement.date_day) = funnel.date_day
full outer join acquisition
    on coalesce(traffic.date_day, engagement.date_day, funnel.date_day) = acquisition.date_day
where
    coalesce(traffic.sessions, 0) != coalesce(engagement.sessions, 0)
    or coalesce(traffic.sessions, 0) != coalesce(funnel.sessions, 0)
    or coalesce(traffic.sessions, 0) != coalesce(acquisition.sessions, 0)
