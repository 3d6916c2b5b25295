{#-
    The grid of an indicator model: every Gebiet and Berichtsjahr covered by a delivery of
    the source (`int_lieferungen__gebiet_berichtsjahre`, CTE `abdeckung`), with its `stichtag`
    and the per-Gebiet figures joined on; counts are 0 where a covered Gebiet has no records,
    population denominators stay NULL where there are none (the mart sets `kein_nenner`).

    `sources`: a list of triples (relation, columns, fill): a CTE name with the `keys` (such
    as the result of `aggregate_to_gebiete`), the columns taken from it, and the value of a
    missing row: 0 for counts (`coalesce(column, 0)`), none to keep NULL (denominators of
    `int_indikatoren__nenner_bevoelkerung`).
    `keys`: the columns shared by `abdeckung` and every source, default
    ['gliederung', 'raum_id', 'berichtsjahr'] (`int_indikatoren__bildung`: with `quelle`).
    `abdeckung`: the CTE name of the covered Gebiete, default `abdeckung`.

    Renders a select (to be used as a CTE body) of the `keys`, `stichtag` and every column of
    the sources under its own name, one row per row of `abdeckung` (each source is unique on
    the `keys`). Portable SQL.
-#}
{% macro fill_abdeckung(sources, keys=['gliederung', 'raum_id', 'berichtsjahr'], abdeckung='abdeckung') -%}
    select
        {%- for key in keys %}
        {{ abdeckung }}.{{ key }},
        {%- endfor %}
        {{ abdeckung }}.stichtag,
        {%- for relation, columns, fill in sources %}
        {%- set last_source = loop.last %}
        {%- for column in columns %}
        {%- if fill is none %}
        {{ relation }}.{{ column }}{{ "," if not (last_source and loop.last) }}
        {%- else %}
        coalesce({{ relation }}.{{ column }}, {{ fill }}) as {{ column }}{{ "," if not (last_source and loop.last) }}
        {%- endif %}
        {%- endfor %}
        {%- endfor %}

    from {{ abdeckung }}
    {%- for relation, columns, fill in sources %}
    left join {{ relation }}
        {%- for key in keys %}
        {{ "on" if loop.first else "and" }} {{ relation }}.{{ key }} = {{ abdeckung }}.{{ key }}
        {%- endfor %}
    {%- endfor %}
{%- endmacro %}
