-- Population Stichtag for every municipality's delivery of a source whose indicators use
-- population denominators (indicators.md): the newest `einwohner` Stichtag of the
-- municipality on or before the source's Stichtag and at most 12 months before it
-- (Kita 01.03.2025 -> population 31.12.2024). NULL: no such delivery (`kein_nenner`).
with

abdeckung as (

    select * from {{ ref('int_lieferungen__gebiet_berichtsjahre') }}
    where gliederung = 'kommune'
        and quelle in ('sgb2', 'hze', 'kita')

),

einwohner_stichtage as (

    select distinct
        ags,
        stichtag

    from {{ ref('stg_einwohnermeldeamt__einwohner') }}

),

final as (

    select
        abdeckung.quelle,
        abdeckung.raum_id as ags,
        abdeckung.berichtsjahr,
        abdeckung.stichtag,
        max(einwohner_stichtage.stichtag) as stichtag_einwohner

    from abdeckung
    left join einwohner_stichtage
        on einwohner_stichtage.ags = abdeckung.raum_id
        and einwohner_stichtage.stichtag <= abdeckung.stichtag
        and einwohner_stichtage.stichtag >= abdeckung.stichtag - interval 12 month
    group by
        abdeckung.quelle,
        abdeckung.raum_id,
        abdeckung.berichtsjahr,
        abdeckung.stichtag

)

select * from final
