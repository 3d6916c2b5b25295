-- K indicators (Kinderbetreuung, source `kita`): numerator and denominator per Gebiet and
-- Berichtsjahr, summed from the microdata of each Gebiet (never averaged from lower levels).
-- "In care" = `betreuungsart` `KITA` or `KTP` (every record of the delivery).
-- Ages of the children are completed years at the `kita` Stichtag (usually 01.03.); the
-- population denominators (K01, K02) are residents with Hauptwohnung counted at their own
-- Stichtag (newest `einwohner` Stichtag on or before the `kita` Stichtag and at most 12
-- months before it, e.g. 31.12. of the previous year), with ages at that Stichtag
-- (indicators.md: "Age is completed years at the record's own Stichtag"); none: `nenner`
-- NULL and the mart sets status `kein_nenner`.
-- K04 counts every child in the delivery, whatever its age: `wochenstunden` >= 45 among the
-- children with booked hours known.
-- Rows only for Gebiete and Berichtsjahre covered by a `kita` delivery; Gebiete without
-- records get zero counts. The mart applies `faktor`, `einheit` and the status rules.
with

kita as (

    select * from {{ ref('int_personen__kita') }}

),

zuordnung_gebiete as (

    select * from {{ ref('int_geo__zuordnung_gebiete') }}

),

nenner as (

    select * from {{ ref('int_indikatoren__nenner_bevoelkerung') }}
    where quelle = 'kita'

),

abdeckung as (

    select * from {{ ref('int_lieferungen__gebiet_berichtsjahre') }}
    where quelle = 'kita'

),

-- per municipality and Berichtsjahr the `kita` Stichtag in use (the newest of the year)
gemeinde_stichtage as (

    select
        raum_id as ags,
        berichtsjahr,
        stichtag

    from abdeckung
    where gliederung = 'kommune'

),

kita_im_berichtsjahr as (

    select
        kita.*,
        gemeinde_stichtage.berichtsjahr as berichtsjahr_verwendet

    from kita
    inner join gemeinde_stichtage
        on gemeinde_stichtage.ags = kita.ags
        and gemeinde_stichtage.stichtag = kita.stichtag

),

-- children: first aggregate per assignment key (address), then spread over the bridge
kita_je_zuordnung as (

    select
        berichtsjahr_verwendet as berichtsjahr,
        zuordnung_id,
        sum(case when alter < 3 then 1 else 0 end) as n_betreut_unter_3,
        sum(case when alter < 3 and betreuungsart = 'KTP' then 1 else 0 end) as n_ktp_unter_3,
        sum(case when alter >= 3 and alter < 6 then 1 else 0 end) as n_betreut_3_bis_5,
        sum(case when wochenstunden is not null then 1 else 0 end) as n_stunden_bekannt,
        sum(case when wochenstunden >= 45 then 1 else 0 end) as n_stunden_45_und_mehr

    from kita_im_berichtsjahr
    group by berichtsjahr_verwendet, zuordnung_id

),

{%- set zaehlungen = [
    'n_betreut_unter_3', 'n_ktp_unter_3', 'n_betreut_3_bis_5', 'n_stunden_bekannt',
    'n_stunden_45_und_mehr',
] %}

kita_je_gebiet as (

    {{ aggregate_to_gebiete('kita_je_zuordnung', zaehlungen) }}

),

-- every covered Gebiet and Berichtsjahr, zero counts where no records are; population
-- denominators NULL when a municipality has no population Stichtag
vollstaendig as (

    {{ fill_abdeckung([
        ('kita_je_gebiet', zaehlungen, 0),
        ('nenner', ['n_ew_unter_3', 'n_ew_3_bis_5'], none),
    ]) }}

),

{%- set indikatoren = [
    ('K01', 'n_betreut_unter_3', 'n_ew_unter_3'),
    ('K02', 'n_betreut_3_bis_5', 'n_ew_3_bis_5'),
    ('K03', 'n_ktp_unter_3', 'n_betreut_unter_3'),
    ('K04', 'n_stunden_45_und_mehr', 'n_stunden_bekannt'),
] %}

final as (

    {{ indikatoren_long('vollstaendig', indikatoren) }}

)

select * from final
