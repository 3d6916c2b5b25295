-- Areas of the newest version of every Gliederung, plus the pseudo-area `<ags>-OZ`
-- ("ohne Zuordnung") of every municipality in every Gliederung. Area in km² and the
-- geometry as GeoJSON in EPSG:4326 for BI maps. Spatial functions: geography models only.
with

raumgliederung as (

    select * from {{ ref('stg_geodaten__raumgliederung') }}

),

gemeinden as (

    select * from {{ ref('int_geo__gemeinden') }}

),

neueste_versionen as (

    select
        gliederung,
        max(gueltig_ab) as gueltig_ab

    from raumgliederung
    group by gliederung

),

flaechen as (

    select
        raumgliederung.gliederung,
        raumgliederung.raum_id,
        raumgliederung.raum_name,
        raumgliederung.ags,
        raumgliederung.gueltig_ab,
        false as is_ohne_zuordnung,
        st_area(st_geomfromtext(raumgliederung.geometrie_wkt)) / 1000000.0 as flaeche_km2,
        st_asgeojson(
            st_transform(
                st_geomfromtext(raumgliederung.geometrie_wkt),
                'EPSG:25832',
                'EPSG:4326',
                always_xy := true
            )
        ) as geometrie_geojson,
        raumgliederung.geometrie_wkt

    from raumgliederung
    inner join neueste_versionen
        on neueste_versionen.gliederung = raumgliederung.gliederung
        and neueste_versionen.gueltig_ab = raumgliederung.gueltig_ab

),

ohne_zuordnung as (

    select
        neueste_versionen.gliederung,
        gemeinden.ags || '-OZ' as raum_id,
        'ohne Zuordnung' as raum_name,
        gemeinden.ags,
        neueste_versionen.gueltig_ab,
        true as is_ohne_zuordnung,
        cast(null as double precision) as flaeche_km2,
        cast(null as varchar) as geometrie_geojson,
        cast(null as varchar) as geometrie_wkt

    from neueste_versionen
    cross join gemeinden

),

final as (

    select * from flaechen
    union all
    select * from ohne_zuordnung

)

select * from final
