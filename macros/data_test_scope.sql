{#- Data tests on the large tables check the rows the latest run wrote: a test's `where`
    may say `__latest_run__`, which becomes "processed_at is the table's newest stamp".
    After a full refresh that is every row; after an hourly run, the rows it rewrote, so
    the tests' cost follows new data, not history (primary keys still guard the whole
    table). `dbt build --vars '{test_all_rows: true}'` tests every row. This overrides
    dbt's own get_where_subquery, which applies the `where` config. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- if '__latest_run__' in where -%}
            {%- set scope = 'true' if var('test_all_rows', false) else
                'processed_at = (select max(newest.processed_at) from ' ~ relation ~ ' as newest)' -%}
            {%- set where = where | replace('__latest_run__', scope) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
