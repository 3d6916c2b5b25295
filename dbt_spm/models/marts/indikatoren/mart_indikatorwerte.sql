-- All computed indicator values (unprotected, private): one row per indicator, Gebiet and
-- Berichtsjahr. Every Gebiet of `int_geo__gebiete` appears for every Berichtsjahr in which
-- the indicator's domain model yields values; Gebiete without a delivery get `keine_daten`.
-- wert = faktor * zaehler / nenner (catalogue); counts: wert = zaehler, nenner NULL.
{#- One domain model per Bereich, each yielding
    (code, gliederung, raum_id, berichtsjahr, stichtag, bezugszeitraum, zaehler, nenner);
    `bezugszeitraum` is the Berichtsjahr, or the pooled years (`2022–2024`, G indicators). -#}
{%- set indikator_modelle = [
    'int_indikatoren__bevoelkerung',
    'int_indikatoren__sgb2',
    'int_indikatoren__kinderbetreuung',
    'int_indikatoren__erziehungshilfen',
    'int_indikatoren__gesundheit',
    'int_indikatoren__bildung',
    'int_indikatoren__haushalte',
] %}

with

katalog as (

    select * from {{ ref('indikatoren_katalog') }}
    where berechnet

),

gebiete as (

    select * from {{ ref('int_geo__gebiete') }}

),

werte as (

    {%- for modell in indikator_modelle %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        code,
        gliederung,
        raum_id,
        berichtsjahr,
        stichtag,
        bezugszeitraum,
        cast(zaehler as double precision) as zaehler,
        cast(nenner as double precision) as nenner
    from {{ ref(modell) }}
    {%- endfor %}

),

-- the reference period a `keine_daten` row names: the one most Gebiete with values have in
-- that Berichtsjahr (only the pooled G indicators can differ between Gebiete; ties: the
-- greater text, so the choice is stable)
perioden as (

    select
        code,
        berichtsjahr,
        bezugszeitraum,
        row_number() over (
            partition by code, berichtsjahr
            order by count(*) desc, bezugszeitraum desc
        ) as rang

    from werte
    group by
        code,
        berichtsjahr,
        bezugszeitraum

),

-- the Berichtsjahre of each indicator: every Gebiet gets a row for each of them
indikator_jahre as (

    select
        werte.code,
        werte.berichtsjahr,
        max(werte.stichtag) as stichtag,
        any_value(perioden.bezugszeitraum) as bezugszeitraum

    from werte
    inner join perioden
        on perioden.code = werte.code
        and perioden.berichtsjahr = werte.berichtsjahr
        and perioden.rang = 1
    group by
        werte.code,
        werte.berichtsjahr

),

raster as (

    select
        indikator_jahre.code,
        gebiete.gliederung,
        gebiete.raum_id,
        gebiete.raum_name,
        gebiete.ags,
        indikator_jahre.berichtsjahr,
        indikator_jahre.stichtag as stichtag_berichtsjahr,
        indikator_jahre.bezugszeitraum as bezugszeitraum_berichtsjahr

    from indikator_jahre
    cross join gebiete

),

verbunden as (

    select
        raster.*,
        katalog.einheit,
        katalog.faktor,
        katalog.einheit = 'Anzahl' as is_anzahl,
        werte.code is not null as hat_daten,
        coalesce(werte.stichtag, raster.stichtag_berichtsjahr) as stichtag,
        coalesce(werte.bezugszeitraum, raster.bezugszeitraum_berichtsjahr) as bezugszeitraum,
        werte.zaehler,
        werte.nenner

    from raster
    inner join katalog
        on katalog.code = raster.code
    left join werte
        on werte.code = raster.code
        and werte.gliederung = raster.gliederung
        and werte.raum_id = raster.raum_id
        and werte.berichtsjahr = raster.berichtsjahr

),

final as (

    select
        code,
        gliederung,
        raum_id,
        raum_name,
        ags,
        berichtsjahr,
        stichtag,
        bezugszeitraum,
        zaehler,
        case when is_anzahl then null else nenner end as nenner,
        case
            when not hat_daten then null
            when is_anzahl then zaehler
            when nenner is null or nenner = 0 then null
            else faktor * zaehler / nenner
        end as wert,
        einheit,
        case
            when not hat_daten then 'keine_daten'
            when is_anzahl then 'ok'
            when nenner is null or nenner = 0 then 'kein_nenner'
            else 'ok'
        end as status

    from verbunden

)

select * from final
