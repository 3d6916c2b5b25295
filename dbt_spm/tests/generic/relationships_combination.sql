{#-
    Generic test (model): every combination of `columns` in the model occurs as the
    combination `fields` in the model `to` (a foreign key over several columns, e.g.
    (`gliederung`, `raum_id`) → `int_geo__gebiete`). Rows with a NULL in `columns` pass,
    like dbt's `relationships`. dbt_utils-free.
    Fails with one row per distinct combination that is not found.
    Usage:
      data_tests:
        - relationships_combination:
            arguments:
              columns: [gliederung, raum_id]
              to: ref('int_geo__gebiete')
              fields: [gliederung, raum_id]
-#}
{% test relationships_combination(model, columns, to, fields=none) %}
{%- set fields = fields if fields is not none else columns %}

with

kinder as (

    select distinct
        {{ columns | join(',\n        ') }}
    from {{ model }}
    where {{ columns | join(' is not null\n        and ') }} is not null

),

eltern as (

    select distinct
        {%- for field in fields %}
        {{ field }} as f{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ to }}

),

final as (

    select kinder.*
    from kinder
    left join eltern
        on {% for column in columns -%}
        eltern.f{{ loop.index }} = kinder.{{ column }}{{ "\n        and " if not loop.last }}
        {%- endfor %}
    where eltern.f1 is null

)

select * from final

{% endtest %}
