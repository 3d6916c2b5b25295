{#-
    The per-Gebiet aggregation of every indicator model and of `mart_hze_hilfearten`
    (indicators.md: "summed from the microdata of each Gebiet, never averaged from lower
    levels"): counts made per assignment key (`zuordnung_id`, an address or `<ags>-OZ`) are
    spread over the bridge `int_geo__zuordnung_gebiete`, which maps each key to its area of
    every Gliederung, its municipality (`kommune`) and the county (`kreis`).

    `relation`: a CTE name with `zuordnung_id`, the `keys` and the `measures`, one row per
    assignment key and key values (the models' `je_zuordnung` CTEs).
    `measures`: a list; a column name is summed, a pair (column, aggregate function) uses that
    function, e.g. ('max_ausgaben_euro', 'max').
    `keys`: the columns kept besides the Gebiet, default ['berichtsjahr'].
    `bridge`: a CTE name or relation shaped like `int_geo__zuordnung_gebiete`.

    Renders a select (to be used as a CTE body) of `gliederung`, `raum_id`, the `keys` and the
    `measures` aggregated under their own names, one row per Gebiet and key values with at
    least one record. Portable SQL.
-#}
{% macro aggregate_to_gebiete(relation, measures, keys=['berichtsjahr'], bridge='zuordnung_gebiete') -%}
    select
        {{ bridge }}.gliederung,
        {{ bridge }}.raum_id,
        {%- for key in keys %}
        {{ relation }}.{{ key }},
        {%- endfor %}
        {%- for measure in measures %}
        {%- set column, aggregate = (measure, 'sum') if measure is string else measure %}
        {{ aggregate }}({{ relation }}.{{ column }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ relation }}
    inner join {{ bridge }}
        on {{ bridge }}.zuordnung_id = {{ relation }}.zuordnung_id
    group by
        {{ bridge }}.gliederung,
        {{ bridge }}.raum_id
        {%- for key in keys %},
        {{ relation }}.{{ key }}
        {%- endfor %}
{%- endmacro %}
