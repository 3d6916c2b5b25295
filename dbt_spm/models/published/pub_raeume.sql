-- The published area list: every Gebiet that indicator values are published for.
with

gebiete as (

    select * from {{ ref('int_geo__gebiete') }}

),

final as (

    select
        gliederung,
        raum_id,
        raum_name,
        ags,
        kommune,
        gueltig_ab,
        flaeche_km2,
        geometrie_geojson as geometrie

    from gebiete

)

select * from final
