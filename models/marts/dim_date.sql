{{ config(materialized='table') }}

{#- One row per reporting day from the first to the last day with an in-window event. -#}

with

date_range as (
    select
        min(event_date) as first_day,
        max(event_date) as last_day
    from {{ ref('fact_events') }}
    where not is_out_of_window
),

days as (
    {{ date_spine('(select first_day from date_range)', '(select last_day from date_range)') }}
),

final as (
    select
        date_day,
        cast(extract(year from date_day) as integer) as year,
        cast(extract(quarter from date_day) as integer) as quarter,
        cast(extract(month from date_day) as integer) as month,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(isodow from date_day) as integer) as day_of_week,
        trim(to_char(date_day, 'Day')) as day_name,
        trim(to_char(date_day, 'Month')) as month_name,
        cast(date_trunc('week', date_day) as date) as week_start,
        extract(isodow from date_day) in (6, 7) as is_weekend
    from days
)

select * from final
