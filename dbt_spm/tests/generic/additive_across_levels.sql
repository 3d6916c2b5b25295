{#-
    Generic test: numerators and denominators add up across the levels of the Gebiete
    (indicators.md: "Numerator and denominator of an area are sums of the microdata of that
    area, never averages of lower areas; county = sum over municipalities";
    docs/decisions.md: `<ags>-OZ` makes the areas of a municipality add up to it).
    For a long indicator table shaped like `mart_indikatorwerte` (`code`, `gliederung`,
    `raum_id`, `ags`, `berichtsjahr`, `status` and the summed `columns`), per code,
    Berichtsjahr and column:
      - a Gliederung whose areas all carry an `ags`: the areas of each municipality (those
        with its `ags`, incl. `<ags>-OZ`) sum to the municipality (`gliederung = 'kommune'`,
        `raum_id = ags`);
      - a Gliederung with areas crossing municipal borders (`ags` NULL): all its areas incl.
        every `<ags>-OZ` sum to the county (`gliederung = 'kreis'`);
      - the municipalities sum to the county.
    Only parents with data (`status <> 'keine_daten'`) are checked; a parent with data must
    not have a child without data. A child value NULL (e.g. no denominator delivery) makes
    the sum NULL, and NULL must then meet NULL. Doubles (money sums) are compared with the
    relative `tolerance`. One county per warehouse is assumed (the project's setting).
    `exclude_codes`: codes that are not additive by definition (distinct counts such as
    Bedarfsgemeinschaften, S02 and S08: a BG living in two areas counts in both).
    Fails with one row per parent value that is not the sum of its children.
    Usage:
      data_tests:
        - additive_across_levels:
            arguments:
              columns: [zaehler, nenner]
              exclude_codes: [S02, S08]
-#}
{% test additive_across_levels(model, columns=['zaehler', 'nenner'], exclude_codes=[], tolerance=1e-9) %}

with

werte as (

    select * from {{ model }}
    {%- if exclude_codes %}
    where code not in ({% for c in exclude_codes %}'{{ c }}'{{ ", " if not loop.last }}{% endfor %})
    {%- endif %}

),

-- a Gliederung is municipality-bound when every one of its areas carries an `ags`
gliederungen as (

    select
        gliederung,
        bool_and(ags is not null) as is_gemeindescharf

    from werte
    where gliederung not in ('kommune', 'kreis')
    group by gliederung

),

-- (child, parent) pairs: areas → municipality, areas → county, municipalities → county
kanten as (

    select
        werte.code,
        werte.berichtsjahr,
        werte.gliederung as ebene,
        'kommune' as eltern_gliederung,
        werte.ags as eltern_raum_id,
        werte.status,
        {{ columns | join(', ') }}

    from werte
    inner join gliederungen
        on gliederungen.gliederung = werte.gliederung
    where gliederungen.is_gemeindescharf

    union all

    select
        werte.code,
        werte.berichtsjahr,
        werte.gliederung as ebene,
        'kreis' as eltern_gliederung,
        null as eltern_raum_id,
        werte.status,
        {{ columns | join(', ') }}

    from werte
    inner join gliederungen
        on gliederungen.gliederung = werte.gliederung
    where not gliederungen.is_gemeindescharf

    union all

    select
        werte.code,
        werte.berichtsjahr,
        'kommune' as ebene,
        'kreis' as eltern_gliederung,
        substring(werte.ags, 1, 5) as eltern_raum_id,
        werte.status,
        {{ columns | join(', ') }}

    from werte
    where werte.gliederung = 'kommune'

),

summen as (

    select
        code,
        berichtsjahr,
        ebene,
        eltern_gliederung,
        eltern_raum_id,
        count(*) filter (where status = 'keine_daten') as kinder_ohne_daten,
        {%- for column in columns %}
        -- NULL as soon as one child with data has NULL
        case
            when count(*) filter (where status <> 'keine_daten' and {{ column }} is null) = 0
                then coalesce(sum({{ column }}) filter (where status <> 'keine_daten'), 0)
        end as summe_{{ column }}{{ "," if not loop.last }}
        {%- endfor %}

    from kanten
    group by
        code,
        berichtsjahr,
        ebene,
        eltern_gliederung,
        eltern_raum_id

),

eltern as (

    select * from werte
    where gliederung in ('kommune', 'kreis')
        and status <> 'keine_daten'

),

verglichen as (

    {%- for column in columns %}
    {%- if not loop.first %}

    union all
    {%- endif %}

    select
        eltern.code,
        eltern.berichtsjahr,
        summen.ebene,
        eltern.gliederung,
        eltern.raum_id,
        '{{ column }}' as spalte,
        summen.kinder_ohne_daten,
        summen.summe_{{ column }} as summe_kinder,
        eltern.{{ column }} as wert_eltern

    from eltern
    inner join summen
        on summen.code = eltern.code
        and summen.berichtsjahr = eltern.berichtsjahr
        and summen.eltern_gliederung = eltern.gliederung
        and (summen.eltern_raum_id = eltern.raum_id or summen.eltern_raum_id is null)
    {%- endfor %}

),

final as (

    select * from verglichen
    where kinder_ohne_daten > 0
        or (summe_kinder is null) <> (wert_eltern is null)
        or abs(summe_kinder - wert_eltern) > {{ tolerance }} * greatest(1, abs(wert_eltern))

)

select * from final

{% endtest %}
