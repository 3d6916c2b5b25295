-- Data coverage: for each source, the Gebiete and Berichtsjahre covered by a delivery of
-- every municipality of the Gebiet, with the Stichtag used. The Berichtsjahr per source is
-- set in staging (indicators.md: Stichtag year for `einwohner`, `sgb2`, `hze`, `kita`;
-- `einschulungsjahr` for `seu`; first year of `schuljahr` for `schule`, second for
-- `schulabgang`). A municipality counts as delivered when the source holds records of it
-- for that Berichtsjahr; per municipality the newest Stichtag of the Berichtsjahr is that
-- year's delivery (rows with gliederung `kommune` give it per municipality, and the
-- indicator models select records by it); a Gebiet's Stichtag is the newest of its
-- municipalities'. Gebiete and Berichtsjahre missing here get `keine_daten` in the mart.
{%- set quellen = [
    ('einwohner', 'stg_einwohnermeldeamt__einwohner'),
    ('sgb2', 'stg_jobcenter__sgb2'),
    ('hze', 'stg_jugendamt__hze'),
    ('kita', 'stg_jugendamt__kita'),
    ('seu', 'stg_gesundheitsamt__seu'),
    ('schule', 'stg_schultraeger__schule'),
    ('schulabgang', 'stg_schultraeger__schulabgang'),
] %}
with

gebiete as (

    select * from {{ ref('int_geo__gebiete') }}

),

gebiet_gemeinden as (

    select * from {{ ref('int_geo__gebiet_gemeinden') }}

),

lieferungen as (

    {%- for quelle, modell in quellen %}
    {%- if not loop.first %}

    union all
    {%- endif %}

    select
        '{{ quelle }}' as quelle,
        ags,
        {% if quelle == 'einwohner' -%}
        cast(extract(year from stichtag) as integer)
        {%- else -%}
        berichtsjahr
        {%- endif %} as berichtsjahr,
        max(stichtag) as stichtag
    from {{ ref(modell) }}
    group by 1, 2, 3
    {%- endfor %}

),

berichtsjahre as (

    select
        quelle,
        berichtsjahr,
        max(stichtag) as stichtag

    from lieferungen
    group by
        quelle,
        berichtsjahr

),

gebiet_jahre as (

    select
        berichtsjahre.quelle,
        gebiete.gliederung,
        gebiete.raum_id,
        berichtsjahre.berichtsjahr,
        berichtsjahre.stichtag as stichtag_berichtsjahr

    from gebiete
    cross join berichtsjahre

),

gepruefte_gebiet_jahre as (

    select
        gebiet_jahre.quelle,
        gebiet_jahre.gliederung,
        gebiet_jahre.raum_id,
        gebiet_jahre.berichtsjahr,
        coalesce(max(lieferungen.stichtag), max(gebiet_jahre.stichtag_berichtsjahr)) as stichtag,
        sum(
            case
                when gebiet_gemeinden.ags is not null and lieferungen.ags is null then 1
                else 0
            end
        ) as anzahl_fehlende_gemeinden

    from gebiet_jahre
    left join gebiet_gemeinden
        on gebiet_gemeinden.gliederung = gebiet_jahre.gliederung
        and gebiet_gemeinden.raum_id = gebiet_jahre.raum_id
    left join lieferungen
        on lieferungen.quelle = gebiet_jahre.quelle
        and lieferungen.ags = gebiet_gemeinden.ags
        and lieferungen.berichtsjahr = gebiet_jahre.berichtsjahr
    group by
        gebiet_jahre.quelle,
        gebiet_jahre.gliederung,
        gebiet_jahre.raum_id,
        gebiet_jahre.berichtsjahr

),

final as (

    select
        quelle,
        gliederung,
        raum_id,
        berichtsjahr,
        stichtag

    from gepruefte_gebiet_jahre
    where anzahl_fehlende_gemeinden = 0

)

select * from final
