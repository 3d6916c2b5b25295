-- Population denominators per source, Gebiet and Berichtsjahr: residents with Hauptwohnung
-- at the population Stichtag of each municipality (`int_lieferungen__nenner_stichtage`),
-- by the age groups the indicators need, summed from the microdata of each Gebiet over the
-- assignment bridge. When a municipality of the Gebiet has no population Stichtag for the
-- source's delivery, every count is NULL (`hat_nenner` false; the mart sets `kein_nenner`).
-- One row per Gebiet and Berichtsjahr covered by the source.
{%- set gruppen = [
    ('n_ew', 'true'),
    ('n_ew_unter_3', 'alter < 3'),
    ('n_ew_3_bis_5', 'alter >= 3 and alter < 6'),
    ('n_ew_unter_15', 'alter < 15'),
    ('n_ew_unter_18', 'alter < 18'),
    ('n_ew_unter_21', 'alter < 21'),
    ('n_ew_unter_65', 'alter < 65'),
    ('n_ew_15_bis_64', 'alter >= 15 and alter < 65'),
    ('n_ew_nichtdeutsch_unter_65', 'is_nichtdeutsch and alter < 65'),
] %}
with

einwohner as (

    select * from {{ ref('int_personen__einwohner') }}
    where is_hauptwohnung

),

nenner_stichtage as (

    select * from {{ ref('int_lieferungen__nenner_stichtage') }}

),

abdeckung as (

    select * from {{ ref('int_lieferungen__gebiet_berichtsjahre') }}
    where quelle in (select distinct quelle from nenner_stichtage)

),

zuordnung_gebiete as (

    select * from {{ ref('int_geo__zuordnung_gebiete') }}

),

gebiet_gemeinden as (

    select * from {{ ref('int_geo__gebiet_gemeinden') }}

),

-- residents per assignment key, for each source delivery whose denominator they are
je_zuordnung as (

    select
        nenner_stichtage.quelle,
        nenner_stichtage.berichtsjahr,
        einwohner.zuordnung_id,
        {%- for name, bedingung in gruppen %}
        count(*) filter (where {{ bedingung }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}

    from einwohner
    inner join nenner_stichtage
        on nenner_stichtage.ags = einwohner.ags
        and nenner_stichtage.stichtag_einwohner = einwohner.stichtag
    group by
        nenner_stichtage.quelle,
        nenner_stichtage.berichtsjahr,
        einwohner.zuordnung_id

),

je_gebiet as (

    {{ aggregate_to_gebiete('je_zuordnung', gruppen | map('first') | list, keys=['quelle', 'berichtsjahr']) }}

),

-- a Gebiet has population denominators only when each of its municipalities has a
-- population Stichtag for the source's delivery
nenner_vorhanden as (

    select
        abdeckung.quelle,
        abdeckung.gliederung,
        abdeckung.raum_id,
        abdeckung.berichtsjahr,
        abdeckung.stichtag,
        coalesce(bool_and(
            gebiet_gemeinden.ags is null or nenner_stichtage.stichtag_einwohner is not null
        ), false) as hat_nenner

    from abdeckung
    left join gebiet_gemeinden
        on gebiet_gemeinden.gliederung = abdeckung.gliederung
        and gebiet_gemeinden.raum_id = abdeckung.raum_id
    left join nenner_stichtage
        on nenner_stichtage.quelle = abdeckung.quelle
        and nenner_stichtage.ags = gebiet_gemeinden.ags
        and nenner_stichtage.berichtsjahr = abdeckung.berichtsjahr
    group by
        abdeckung.quelle,
        abdeckung.gliederung,
        abdeckung.raum_id,
        abdeckung.berichtsjahr,
        abdeckung.stichtag

),

final as (

    select
        nenner_vorhanden.quelle,
        nenner_vorhanden.gliederung,
        nenner_vorhanden.raum_id,
        nenner_vorhanden.berichtsjahr,
        nenner_vorhanden.stichtag,
        nenner_vorhanden.hat_nenner,
        {%- for name, bedingung in gruppen %}
        case when nenner_vorhanden.hat_nenner then coalesce(je_gebiet.{{ name }}, 0) end
            as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}

    from nenner_vorhanden
    left join je_gebiet
        on je_gebiet.quelle = nenner_vorhanden.quelle
        and je_gebiet.gliederung = nenner_vorhanden.gliederung
        and je_gebiet.raum_id = nenner_vorhanden.raum_id
        and je_gebiet.berichtsjahr = nenner_vorhanden.berichtsjahr

)

select * from final
