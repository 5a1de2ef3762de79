{#- The combination of `columns` identifies a row; nulls count as equal (a campaign or
    country may be unknown). -#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as copies
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
