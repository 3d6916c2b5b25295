-- The municipality list: every AGS occurring in an address register or residents delivery,
-- with its name and county from the configuration (`raw.gemeinden` supplies names only: a
-- configured municipality that never delivered gets no rows, so it cannot block the county).
with

namen as (

    select * from {{ ref('stg_geodaten__gemeinden') }}

),

adressen as (

    select * from {{ ref('stg_geodaten__adressen') }}

),

einwohner as (

    select * from {{ ref('stg_einwohnermeldeamt__einwohner') }}

),

alle_ags as (

    select ags from adressen
    union
    select ags from einwohner

),

final as (

    select
        alle_ags.ags,
        coalesce(gemeinde.name, alle_ags.ags) as gemeinde_name,
        left(alle_ags.ags, 5) as kreis_ags,
        coalesce(kreis.name, left(alle_ags.ags, 5)) as kreis_name

    from alle_ags
    left join namen as gemeinde
        on gemeinde.ags = alle_ags.ags
        and gemeinde.ebene = 'kommune'
    left join namen as kreis
        on kreis.ags = left(alle_ags.ags, 5)
        and kreis.ebene = 'kreis'

)

select * from final
