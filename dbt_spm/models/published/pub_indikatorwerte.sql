{{ config(alias='indikatorwerte') }}

-- Published indicator values: only computed indicators that are not `sensibel`.
-- Sensitive indicators are added once disclosure control (suppression) is in place.
with

indikatorwerte as (

    select * from {{ ref('mart_indikatorwerte') }}

),

katalog as (

    select * from {{ ref('indikatoren_katalog') }}

),

final as (

    select
        indikatorwerte.code,
        indikatorwerte.gliederung,
        indikatorwerte.raum_id,
        indikatorwerte.raum_name,
        indikatorwerte.ags,
        indikatorwerte.berichtsjahr,
        indikatorwerte.stichtag,
        indikatorwerte.bezugszeitraum,
        indikatorwerte.zaehler,
        indikatorwerte.nenner,
        indikatorwerte.wert,
        indikatorwerte.einheit,
        indikatorwerte.status

    from indikatorwerte
    inner join katalog
        on katalog.code = indikatorwerte.code
    where katalog.berechnet
        and not katalog.sensibel

)

select * from final
