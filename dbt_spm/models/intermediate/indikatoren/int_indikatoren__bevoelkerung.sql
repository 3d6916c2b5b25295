-- B indicators (Bevölkerungsstruktur, source `einwohner`): numerator and denominator per
-- Gebiet and Berichtsjahr, summed from the microdata of each Gebiet (never averaged from
-- lower levels). Population = residents with `wohnungsstatus = H`. Rows only for Gebiete
-- and Berichtsjahre covered by a delivery; Gebiete without residents get zero counts.
-- The mart applies `faktor`, `einheit` and the status rules from the catalogue.
with

einwohner as (

    select * from {{ ref('int_personen__einwohner') }}
    where is_hauptwohnung

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

einwohner_im_berichtsjahr as (

    select
        einwohner.*,
        gemeinde_stichtage.berichtsjahr as berichtsjahr_verwendet

    from einwohner
    inner join gemeinde_stichtage
        on gemeinde_stichtage.ags = einwohner.ags
        and gemeinde_stichtage.stichtag = einwohner.stichtag

),

-- first aggregate per assignment key (address), then spread over the bridge
je_zuordnung as (

    select
        berichtsjahr_verwendet as berichtsjahr,
        zuordnung_id,
        count(*) as n_gesamt,
        sum(case when alter < 18 then 1 else 0 end) as n_unter_18,
        sum(case when alter < 6 then 1 else 0 end) as n_unter_6,
        sum(case when alter >= 65 then 1 else 0 end) as n_ab_65,
        sum(case when alter >= 80 then 1 else 0 end) as n_ab_80,
        sum(case when alter < 20 then 1 else 0 end) as n_unter_20,
        sum(case when alter >= 20 and alter < 65 then 1 else 0 end) as n_20_bis_64,
        sum(case when is_nichtdeutsch then 1 else 0 end) as n_nichtdeutsch,
        sum(case when is_nichtdeutsch and alter < 18 then 1 else 0 end) as n_nichtdeutsch_unter_18,
        sum(case when zuzug_datum is not null then 1 else 0 end) as n_zuzug_bekannt,
        -- the 365 days that end on the Stichtag (docs/decisions.md)
        sum(case when tage_seit_zuzug between 0 and 364 then 1 else 0 end) as n_zuzug_12_monate,
        sum(case when alter >= 5 and zuzug_datum is not null then 1 else 0 end) as n_ab_5_zuzug_bekannt,
        sum(case when alter >= 5 and wohndauer_jahre >= 5 then 1 else 0 end) as n_ab_5_wohndauer_5

    from einwohner_im_berichtsjahr
    group by berichtsjahr_verwendet, zuordnung_id

),

{%- set zaehlungen = [
    'n_gesamt', 'n_unter_18', 'n_unter_6', 'n_ab_65', 'n_ab_80', 'n_unter_20', 'n_20_bis_64',
    'n_nichtdeutsch', 'n_nichtdeutsch_unter_18', 'n_zuzug_bekannt', 'n_zuzug_12_monate',
    'n_ab_5_zuzug_bekannt', 'n_ab_5_wohndauer_5',
] %}

je_gebiet as (

    {{ aggregate_to_gebiete('je_zuordnung', zaehlungen) }}

),

-- every covered Gebiet and Berichtsjahr, zero counts where nobody lives
vollstaendig as (

    {{ fill_abdeckung([('je_gebiet', zaehlungen, 0)]) }}

),

-- B10: same Gebiet (today's geography) in the previous Berichtsjahr, if covered
mit_vorjahr as (

    select
        vollstaendig.*,
        vorjahr.n_gesamt as n_gesamt_vorjahr

    from vollstaendig
    left join vollstaendig as vorjahr
        on vorjahr.gliederung = vollstaendig.gliederung
        and vorjahr.raum_id = vollstaendig.raum_id
        and vorjahr.berichtsjahr = vollstaendig.berichtsjahr - 1

),

{%- set indikatoren = [
    ('B01', 'n_gesamt', none),
    ('B02', 'n_unter_18', 'n_gesamt'),
    ('B03', 'n_unter_6', 'n_gesamt'),
    ('B04', 'n_ab_65', 'n_gesamt'),
    ('B05', 'n_ab_80', 'n_gesamt'),
    ('B06', 'n_unter_20', 'n_20_bis_64'),
    ('B07', 'n_ab_65', 'n_20_bis_64'),
    ('B08', 'n_nichtdeutsch', 'n_gesamt'),
    ('B09', 'n_nichtdeutsch_unter_18', 'n_unter_18'),
    ('B10', 'n_gesamt - n_gesamt_vorjahr', 'n_gesamt_vorjahr'),
    ('B11', 'n_zuzug_12_monate', 'n_zuzug_bekannt'),
    ('B12', 'n_ab_5_wohndauer_5', 'n_ab_5_zuzug_bekannt'),
] %}

final as (

    {{ indikatoren_long('mit_vorjahr', indikatoren) }}

)

select * from final
