{#- Reporting days and hours follow var('reporting_timezone'); stored timestamps are UTC. -#}

{% macro reporting_date(timestamp_expression) -%}
    cast(({{ timestamp_expression }}) at time zone '{{ var("reporting_timezone") }}' as date)
{%- endmacro %}


{% macro reporting_hour(timestamp_expression) -%}
    date_trunc('hour', {{ timestamp_expression }}, '{{ var("reporting_timezone") }}')
{%- endmacro %}


{#- One row per day from start_date to end_date inclusive (both SQL date expressions),
    named date_day: the date spine that dbt_utils would give, on Postgres' generate_series. -#}
{% macro date_spine(start_date, end_date) -%}
    select cast(spine.day_start as date) as date_day
    from generate_series(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval '1 day'
    ) as spine (day_start)
{%- endmacro %}


{#- on-run-start: fail fast, naming the variable, when the time zone is not one Postgres knows. -#}
{% macro check_reporting_timezone() -%}
    {%- if execute -%}
        {%- set known = run_query(
            "select count(*) from pg_timezone_names where name = '"
            ~ (var('reporting_timezone') | replace("'", "''")) ~ "'"
        ).columns[0].values()[0] -%}
        {%- if known == 0 and var('reporting_timezone') | upper != 'UTC' -%}
            {{ exceptions.raise_compiler_error(
                "var reporting_timezone = '" ~ var('reporting_timezone')
                ~ "' is not a time zone Postgres knows; use an IANA name such as "
                ~ "'Asia/Ho_Chi_Minh' (see pg_timezone_names)"
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{#- The instant a reporting day starts (a date expression): reporting_date(t) = d exactly
    when reporting_day_start(d) <= t < reporting_day_start(d + 1), daylight saving included. -#}
{% macro reporting_day_start(date_expression) -%}
    (cast({{ date_expression }} as timestamp) at time zone '{{ var("reporting_timezone") }}')
{%- endmacro %}


{#- Distinct users active on a day or in the `window_days` - 1 days before it, for each
    day of `days_relation` (a relation with date_day), from `user_days_relation` (distinct
    user_key, date_day). Each active day keeps its user counted for `window_days` days;
    a user's overlapping stretches merge into runs, each run adds 1 on its first day and
    removes it the day after it ends, and a running sum gives the count: one pass over
    the user-days whatever the window, instead of one distinct count per day. -#}
{% macro trailing_active_users(user_days_relation, days_relation, window_days) -%}
    with

    run_starts as (
        select
            user_key,
            date_day,
            case
                when
                    lag(date_day) over (partition by user_key order by date_day)
                    >= date_day - {{ window_days }}
                    then 0
                else 1
            end as starts_run
        from {{ user_days_relation }}
    ),

    numbered as (
        select
            user_key,
            date_day,
            sum(starts_run) over (
                partition by user_key
                order by date_day
                rows between unbounded preceding and current row
            ) as run_number
        from run_starts
    ),

    runs as (
        select
            min(date_day) as run_start,
            max(date_day) + {{ window_days }} as run_end_exclusive
        from numbered
        group by user_key, run_number
    ),

    changes as (
        select
            run_start as date_day,
            1 as change
        from runs
        union all
        select
            run_end_exclusive as date_day,
            -1 as change
        from runs
        union all
        select
            date_day,
            0 as change
        from {{ days_relation }}
    ),

    running as (
        select
            date_day,
            sum(sum(change)) over (order by date_day) as active_users
        from changes
        group by date_day
    )

    select
        running.date_day,
        cast(running.active_users as bigint) as active_users
    from running
    where running.date_day in (select days.date_day from {{ days_relation }} as days)
{%- endmacro %}
