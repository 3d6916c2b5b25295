-- The published indicator catalogue (all indicators, also those not computed yet).
with

katalog as (

    select * from {{ ref('indikatoren_katalog') }}

),

final as (

    select
        code,
        name,
        bereich,
        definition,
        zaehler,
        nenner,
        einheit,
        quelle,
        sensibel,
        richtung

    from katalog

)

select * from final
