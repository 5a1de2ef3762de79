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


{#- Distinct users active on a day or in the days before it, for each window of
    `window_days` (e.g. [7, 30]) and each day of `days_relation` (a relation with date_day),
    from `user_days_relation` (distinct user_key, date_day); columns active_<n>_days. Each
    active day keeps its user counted for n days; a user's overlapping stretches merge
    into runs, each run adds 1 on its first day and removes it the day after it ends, and a
    running sum gives the count: one pass over the user-days for all windows, instead of
    one distinct count per day and window. -#}
{% macro trailing_active_users(user_days_relation, days_relation, window_days) -%}
    with

    previous_days as (
        select
            user_key,
            date_day,
            lag(date_day) over (partition by user_key order by date_day) as previous_day
        from {{ user_days_relation }}
    ),

    numbered as (
        select
            user_key,
            date_day
            {%- for window in window_days %},
            sum(
                case when previous_day >= date_day - {{ window }} then 0 else 1 end
            ) over user_days as run_{{ window }}
            {%- endfor %}
        from previous_days
        window user_days as (
            partition by user_key
            order by date_day
            rows between unbounded preceding and current row
        )
    ),

    changes as (
        {%- for window in window_days %}
            {%- if not loop.first %}
                union all
            {%- endif %}
            select
                {{ window }} as window_days,
                bounds.date_day,
                bounds.change
            from (
                select
                    user_key,
                    min(date_day) as run_start,
                    max(date_day) + {{ window }} as run_end_exclusive
                from numbered
                group by user_key, run_{{ window }}
            ) as runs
            cross join lateral (
                values (runs.run_start, 1), (runs.run_end_exclusive, -1)
            ) as bounds (date_day, change)
        {%- endfor %}
        union all
        select
            null as window_days,
            date_day,
            0 as change
        from {{ days_relation }}
    ),

    running as (
        select
            date_day
            {%- for window in window_days %},
            sum(sum(change) filter (where window_days = {{ window }})) over (
                order by date_day
            ) as active_{{ window }}_days
            {%- endfor %}
        from changes
        group by date_day
    )

    select
        running.date_day
        {%- for window in window_days %},
        cast(running.active_{{ window }}_days as bigint) as active_{{ window }}_days
        {%- endfor %}
    from running
    where running.date_day in (select days.date_day from {{ days_relation }} as days)
{%- endmacro %}
