-- Point in polygon: every register address to exactly one area of the newest version of
-- every Gliederung. ST_Intersects keeps points on a border (they touch two areas); the
-- smallest raum_id wins (docs/decisions.md). An address in no area goes to `<ags>-OZ`.
with

adressen as (

    select * from {{ ref('int_geo__adressen') }}

),

raeume as (

    select * from {{ ref('int_geo__raeume') }}
    where not is_ohne_zuordnung

),

gliederungen as (

    select distinct gliederung from {{ ref('int_geo__raeume') }}

),

punkte as (

    select
        adresse_id,
        st_point(ostwert, nordwert) as punkt

    from adressen

),

flaechen as (

    select
        gliederung,
        raum_id,
        st_geomfromtext(geometrie_wkt) as flaeche

    from raeume

),

treffer as (

    select
        punkte.adresse_id,
        flaechen.gliederung,
        flaechen.raum_id

    from punkte
    inner join flaechen
        on st_intersects(flaechen.flaeche, punkte.punkt)

),

treffer_je_gliederung as (

    select
        adresse_id,
        gliederung,
        min(raum_id) as raum_id,
        count(*) as anzahl_treffer

    from treffer
    group by adresse_id, gliederung

),

final as (

    select
        adressen.adresse_id,
        adressen.ags,
        gliederungen.gliederung,
        coalesce(treffer_je_gliederung.raum_id, adressen.ags || '-OZ') as raum_id,
        coalesce(treffer_je_gliederung.anzahl_treffer, 0) as anzahl_treffer

    from adressen
    cross join gliederungen
    left join treffer_je_gliederung
        on treffer_je_gliederung.adresse_id = adressen.adresse_id
        and treffer_je_gliederung.gliederung = gliederungen.gliederung

)

select * from final
