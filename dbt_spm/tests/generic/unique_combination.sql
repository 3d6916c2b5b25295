{#-
    Generic test: the combination of `columns` is unique in the model (the grain key).
    dbt_utils-free replacement for unique_combination_of_columns.
    Usage: data_tests: [{unique_combination: {arguments: {columns: [a, b]}}}]
    `nur_neue_stichtage: true` (models rebuilt per Stichtag, `stichtag` among the columns):
    only the rows of the Stichtage the run rebuilt (macro nur_neue_stichtage_im_test).
-#}
{% test unique_combination(model, columns, nur_neue_stichtage=false) %}

select
    {{ columns | join(',\n    ') }},
    count(*) as anzahl
from {{ model }}
{%- if nur_neue_stichtage %}
where {{ nur_neue_stichtage_im_test('stichtag') }}
{%- endif %}
group by
    {{ columns | join(',\n    ') }}
having count(*) > 1

{% endtest %}
