-- H indicators (Haushalts- und Lebensformen, derived households, source `einwohner`):
-- numerator and denominator per Gebiet and Berichtsjahr, summed from the households of
-- each Gebiet (never averaged from lower levels). Households come from the household
-- generation (`int_haushalte__haushalte`, indicators.md "Household generation") at the
-- Stichtag the B indicators use: per municipality the newest `einwohner` Stichtag of the
-- Berichtsjahr. A household lives at one address, so it counts in exactly one area of each
-- Gliederung. Minors without a parent at the address are in no household and in no figure.
-- H01 households; H02 persons in households / households; H03 households with children
-- under 18 / households; H04 `AE` / households with children; H05 3+ children under 18 /
-- households with children; H06 children under 18 in `AE` households / persons under 18
-- in households; H07 one-person households of a person 65+ / households.
-- Rows only for Gebiete and Berichtsjahre covered by an `einwohner` delivery; Gebiete
-- without households get zero counts. The mart applies `faktor`, `einheit` and the status
-- rules from the catalogue.
with

haushalte as (

    select * from {{ ref('int_haushalte__haushalte') }}

),

zuordnung_gebiete as (

    select * from {{ ref('int_geo__zuordnung_gebiete') }}

),

abdeckung as (

    select * from {{ ref('int_lieferungen__gebiet_berichtsjahre') }}
    where quelle = 'einwohner'

),

-- per municipality and Berichtsjahr the Stichtag in use (the newest of the year)
gemeinde_stichtage as (

    select
        raum_id as ags,
        berichtsjahr,
        stichtag

    from abdeckung
    where gliederung = 'kommune'

),

haushalte_im_berichtsjahr as (

    select
        haushalte.*,
        gemeinde_stichtage.berichtsjahr as berichtsjahr_verwendet

    from haushalte
    inner join gemeinde_stichtage
        on gemeinde_stichtage.ags = haushalte.ags
        and gemeinde_stichtage.stichtag = haushalte.stichtag

),

-- first aggregate per assignment key (address), then spread over the bridge
je_zuordnung as (

    select
        berichtsjahr_verwendet as berichtsjahr,
        zuordnung_id,
        count(*) as n_haushalte,
        sum(anzahl_personen) as n_personen,
        sum(case when is_mit_kindern then 1 else 0 end) as n_mit_kindern,
        sum(case when haushaltstyp = 'AE' then 1 else 0 end) as n_ae,
        sum(case when is_kinderreich then 1 else 0 end) as n_kinderreich,
        sum(case when haushaltstyp = 'AE' then anzahl_kinder_unter_18 else 0 end)
            as n_kinder_unter_18_ae,
        sum(anzahl_unter_18) as n_unter_18,
        sum(case when is_einpersonen_ab_65 then 1 else 0 end) as n_eph_ab_65

    from haushalte_im_berichtsjahr
    group by berichtsjahr_verwendet, zuordnung_id

),

{%- set zaehlungen = [
    'n_haushalte', 'n_personen', 'n_mit_kindern', 'n_ae', 'n_kinderreich',
    'n_kinder_unter_18_ae', 'n_unter_18', 'n_eph_ab_65',
] %}

je_gebiet as (

    {{ aggregate_to_gebiete('je_zuordnung', zaehlungen) }}

),

-- every covered Gebiet and Berichtsjahr, zero counts where no household is
vollstaendig as (

    {{ fill_abdeckung([('je_gebiet', zaehlungen, 0)]) }}

),

{%- set indikatoren = [
    ('H01', 'n_haushalte', none),
    ('H02', 'n_personen', 'n_haushalte'),
    ('H03', 'n_mit_kindern', 'n_haushalte'),
    ('H04', 'n_ae', 'n_mit_kindern'),
    ('H05', 'n_kinderreich', 'n_mit_kindern'),
    ('H06', 'n_kinder_unter_18_ae', 'n_unter_18'),
    ('H07', 'n_eph_ab_65', 'n_haushalte'),
] %}

final as (

    {{ indikatoren_long('vollstaendig', indikatoren) }}

)

select * from final
