-- Published population table: residents with Hauptwohnung by age group, sex and
-- nationality per Gebiet and Berichtsjahr (`mart_bevoelkerung`). Population counts are not
-- sensitive (indicators.md: "B counts are not sensitive"), so the table is published whole.
with

bevoelkerung as (

    select * from {{ ref('mart_bevoelkerung') }}

),

final as (

    select
        gliederung,
        raum_id,
        raum_name,
        ags,
        berichtsjahr,
        stichtag,
        altersgruppe,
        alter_von,
        alter_bis,
        geschlecht,
        staatsangehoerigkeit,
        anzahl

    from bevoelkerung

)

select * from final
