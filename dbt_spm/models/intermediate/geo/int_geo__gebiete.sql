-- Every Gebiet that gets indicator values: the areas of the newest version of every
-- Gliederung incl. `ohne Zuordnung`, every municipality (`kommune`) and the county (`kreis`).
with

raeume as (

    select * from {{ ref('int_geo__raeume') }}

),

gemeinden as (

    select * from {{ ref('int_geo__gemeinden') }}

),

gliederung_raeume as (

    select
        raeume.gliederung,
        raeume.raum_id,
        raeume.raum_name,
        raeume.ags,
        gemeinden.gemeinde_name as kommune,
        case when raeume.is_ohne_zuordnung then 'ohne_zuordnung' else 'raum' end as ebene,
        raeume.gueltig_ab,
        raeume.flaeche_km2,
        raeume.geometrie_geojson

    from raeume
    left join gemeinden
        on gemeinden.ags = raeume.ags

),

kommunen as (

    select
        'kommune' as gliederung,
        ags as raum_id,
        gemeinde_name as raum_name,
        ags,
        gemeinde_name as kommune,
        'kommune' as ebene,
        cast(null as date) as gueltig_ab,
        cast(null as double precision) as flaeche_km2,
        cast(null as varchar) as geometrie_geojson

    from gemeinden

),

kreise as (

    select distinct
        'kreis' as gliederung,
        kreis_ags as raum_id,
        kreis_name as raum_name,
        kreis_ags as ags,
        cast(null as varchar) as kommune,
        'kreis' as ebene,
        cast(null as date) as gueltig_ab,
        cast(null as double precision) as flaeche_km2,
        cast(null as varchar) as geometrie_geojson

    from gemeinden

),

final as (

    select * from gliederung_raeume
    union all
    select * from kommunen
    union all
    select * from kreise

)

select * from final
