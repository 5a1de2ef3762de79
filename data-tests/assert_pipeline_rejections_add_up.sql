-- Per load hour, the health mart's rows_rejected is the sum of the rejection mart's rows
-- (every stage and reason).

with

health as (
    select
        hour_at,
        rows_rejected
    from {{ ref('mart_pipeline_health_hourly') }}
),

rejections as (
    select
        hour_at,
        sum(rows_rejected) as rows_rejected
    from {{ ref('mart_rejections_hourly') }}
    group by hour_at
)

select
    coalesce(health.hour_at, rejections.hour_at) as hour_at,
    health.rows_rejected as health_rows_rejected,
    rejections.rows_rejected as rejection_rows
from health
full outer join rejections on health.hour_at = rejections.hour_at
where
    coalesce(health.rows_rejected, 0) != coalesce(rejections.rows_rejected, 0)
    and (health.hour_at is not null or rejections.rows_rejected > 0)
