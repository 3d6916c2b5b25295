-- BI indicators (Bildung, sources `schule` and `schulabgang`): numerator and denominator per
-- Gebiet and Berichtsjahr, summed from the microdata of each Gebiet (never averaged from
-- lower levels), by the pupils' residence (indicators.md):
--   BI01 `GY`, BI02 `GE`, BI03 `HS` or `FS` / every grade-5 pupil of the `schule` delivery;
--   BI04 `foerderbedarf` J / grade-5 pupils with `foerderbedarf` known;
--   BI05 `OA`, BI06 `FHR` or `AHR` / every leaver of the `schulabgang` delivery.
-- Berichtsjahr (set in staging): the first year of `schuljahr` for `schule` (2024/25 ->
-- 2024), the second for `schulabgang` (2023/24 -> 2024). Per municipality and Berichtsjahr
-- only the records of the Stichtag named by `int_lieferungen__gebiet_berichtsjahre` are
-- used. Rows only for Gebiete and Berichtsjahre covered by the indicator's own source;
-- Gebiete without records get zero counts. No population denominators, no pooling.
-- The mart applies `faktor`, `einheit` and the status rules from the catalogue.
with

schule as (

    select * from {{ ref('int_personen__schule') }}

),

schulabgang as (

    select * from {{ ref('int_personen__schulabgang') }}

),

zuordnung_gebiete as (

    select * from {{ ref('int_geo__zuordnung_gebiete') }}

),

abdeckung as (

    select * from {{ ref('int_lieferungen__gebiet_berichtsjahre') }}
    where quelle in ('schule', 'schulabgang')

),

-- per source, municipality and Berichtsjahr the Stichtag in use (the newest one)
gemeinde_stichtage as (

    select
        quelle,
        raum_id as ags,
        berichtsjahr,
        stichtag

    from abdeckung
    where gliederung = 'kommune'

),

-- one row per record of the Stichtag in use, with the counts of both sources
datensaetze as (

    select
        'schule' as quelle,
        schule.berichtsjahr,
        schule.zuordnung_id,
        1 as n_schueler,
        case when schule.schulform = 'GY' then 1 else 0 end as n_gymnasium,
        case when schule.schulform = 'GE' then 1 else 0 end as n_gesamtschule,
        case when schule.schulform in ('HS', 'FS') then 1 else 0 end as n_haupt_foerderschule,
        case when schule.is_foerderbedarf is not null then 1 else 0 end as n_foerderbedarf_bekannt,
        case when schule.is_foerderbedarf then 1 else 0 end as n_foerderbedarf,
        0 as n_abgaenge,
        0 as n_ohne_abschluss,
        0 as n_hochschulreife

    from schule
    inner join gemeinde_stichtage
        on gemeinde_stichtage.quelle = 'schule'
        and gemeinde_stichtage.ags = schule.ags
        and gemeinde_stichtage.berichtsjahr = schule.berichtsjahr
        and gemeinde_stichtage.stichtag = schule.stichtag

    union all

    select
        'schulabgang' as quelle,
        schulabgang.berichtsjahr,
        schulabgang.zuordnung_id,
        0 as n_schueler,
        0 as n_gymnasium,
        0 as n_gesamtschule,
        0 as n_haupt_foerderschule,
        0 as n_foerderbedarf_bekannt,
        0 as n_foerderbedarf,
        1 as n_abgaenge,
        case when schulabgang.abschluss = 'OA' then 1 else 0 end as n_ohne_abschluss,
        case when schulabgang.abschluss in ('FHR', 'AHR') then 1 else 0 end as n_hochschulreife

    from schulabgang
    inner join gemeinde_stichtage
        on gemeinde_stichtage.quelle = 'schulabgang'
        and gemeinde_stichtage.ags = schulabgang.ags
        and gemeinde_stichtage.berichtsjahr = schulabgang.berichtsjahr
        and gemeinde_stichtage.stichtag = schulabgang.stichtag

),

{%- set zaehlungen = [
    'n_schueler', 'n_gymnasium', 'n_gesamtschule', 'n_haupt_foerderschule',
    'n_foerderbedarf_bekannt', 'n_foerderbedarf',
    'n_abgaenge', 'n_ohne_abschluss', 'n_hochschulreife',
] %}

-- first aggregate per assignment key (address), then spread over the bridge
je_zuordnung as (

    select
        quelle,
        berichtsjahr,
        zuordnung_id,
        {%- for spalte in zaehlungen %}
        sum({{ spalte }}) as {{ spalte }}{{ "," if not loop.last }}
        {%- endfor %}

    from datensaetze
    group by quelle, berichtsjahr, zuordnung_id

),

je_gebiet as (

    {{ aggregate_to_gebiete('je_zuordnung', zaehlungen, keys=['quelle', 'berichtsjahr']) }}

),

-- every covered source, Gebiet and Berichtsjahr, zero counts where no records are
vollstaendig as (

    {{ fill_abdeckung(
        [('je_gebiet', zaehlungen, 0)],
        keys=['quelle', 'gliederung', 'raum_id', 'berichtsjahr'],
    ) }}

),

{#- each indicator from the rows of its own source #}
{%- set indikatoren = [
    ('BI01', 'n_gymnasium', 'n_schueler', "quelle = 'schule'"),
    ('BI02', 'n_gesamtschule', 'n_schueler', "quelle = 'schule'"),
    ('BI03', 'n_haupt_foerderschule', 'n_schueler', "quelle = 'schule'"),
    ('BI04', 'n_foerderbedarf', 'n_foerderbedarf_bekannt', "quelle = 'schule'"),
    ('BI05', 'n_ohne_abschluss', 'n_abgaenge', "quelle = 'schulabgang'"),
    ('BI06', 'n_hochschulreife', 'n_abgaenge', "quelle = 'schulabgang'"),
] %}

final as (

    {{ indikatoren_long('vollstaendig', indikatoren) }}

)

select * from final
