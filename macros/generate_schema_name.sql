{#- Custom schemas are used as they are (seeds → reference, staging, intermediate, marts):
    the bootstrap creates exactly these schemas, owned by the transform role, and the
    dashboard reads `marts`, whatever the target. Without a custom schema: the target's. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
