{#- Data tests on the large tables check the rows the latest run wrote: a test's `where`
    may say `__latest_run__`. In `dbt build` that means the rows this invocation wrote
    (all of them after a full refresh, the rewritten ones after an hourly run, none when
    nothing was new), so the tests' cost follows new data, not history, while primary keys
    still guard the whole table. In `dbt test` it means the rows of the newest build.
    `--vars '{test_all_rows: true}'` tests every row. -#}
{% macro latest_run_rows(relation) -%}
    {%- if var('test_all_rows', false) -%}
        true
    {%- elif flags.WHICH == 'build' -%}
        processed_at = {{ processed_at() }}
    {%- else -%}
        processed_at = (select max(newest.processed_at) from {{ relation }} as newest)
    {%- endif -%}
{%- endmacro %}


{#- dbt's own get_where_subquery (it applies a test's `where` config), with __latest_run__
    replaced by latest_run_rows. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set where = where | replace('__latest_run__', latest_run_rows(relation)) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
