{#-
    The tail of every indicator model: the indicators of a domain as rows in the long shape
    `mart_indikatorwerte` reads (`code`, `gliederung`, `raum_id`, `berichtsjahr`, `stichtag`,
    `bezugszeitraum`, `zaehler`, `nenner`), one select per indicator over the per-Gebiet
    figures, joined by `union all`.

    `relation`: a CTE name with `gliederung`, `raum_id`, `berichtsjahr`, `stichtag` and the
    columns the indicators name (the models' `vollstaendig` CTEs), one row per Gebiet and
    Berichtsjahr.
    `indikatoren`: a list of (code, zaehler, nenner) or (code, zaehler, nenner, where):
    `zaehler` and `nenner` are SQL expressions over `relation`; nenner none for a count
    without denominator (`nenner` NULL); `where` (optional) restricts the rows of `relation`
    for that indicator (`int_indikatoren__bildung`: the indicator's own source).
    `zaehler_typ`: the SQL type of `zaehler`, default `bigint` (`double precision` for the
    E indicators, E08 holds euros); `nenner` is always `bigint`.
    `bezugszeitraum`: SQL expression of the period the figures refer to, default the
    Berichtsjahr as text (`int_indikatoren__gesundheit`: its pooled years).

    Renders a select (to be used as a CTE body), one row per indicator and row of
    `relation`. Portable SQL.
-#}
{% macro indikatoren_long(relation, indikatoren, zaehler_typ='bigint', bezugszeitraum='cast(berichtsjahr as varchar)') -%}
    {%- for indikator in indikatoren %}
    {%- set code, zaehler, nenner = indikator[:3] %}
    {%- if not loop.first %}

    union all

    {% endif -%}
    select
        '{{ code }}' as code,
        gliederung,
        raum_id,
        berichtsjahr,
        stichtag,
        {{ bezugszeitraum }} as bezugszeitraum,
        cast({{ zaehler }} as {{ zaehler_typ }}) as zaehler,
        cast({{ "null" if nenner is none else nenner }} as bigint) as nenner
    from {{ relation }}
    {%- if indikator | length > 3 %}
    where {{ indikator[3] }}
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
