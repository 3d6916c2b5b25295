{#-
    Generic test: the combination of `columns` is unique in the model (the grain key).
    dbt_utils-free replacement for unique_combination_of_columns.
    Usage: data_tests: [{unique_combination: {arguments: {columns: [a, b]}}}]
-#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(',\n    ') }},
    count(*) as anzahl
from {{ model }}
group by
    {{ columns | join(',\n    ') }}
having count(*) > 1

{% endtest %}
