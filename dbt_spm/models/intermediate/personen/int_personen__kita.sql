-- Children in day care per Stichtag with age at the Stichtag
-- and the matched register address
-- (macro `match_address`: exact match key first, then the same number without suffix;
-- unmatched records count for `<ags>-OZ`).
with

kita as (

    select * from {{ ref('stg_jugendamt__kita') }}

),

adressen as (

    select * from {{ ref('int_geo__adressen') }}

),

abgeglichen as (

    {{ match_address('kita', 'adressen') }}

),

final as (

    select
        stichtag,
        berichtsjahr,
        ags,
        kind_id,
        delivery_id,
        geburtsdatum,
        {{ age_at('geburtsdatum', 'stichtag') }} as alter,
        geschlecht,
        betreuungsart,
        einrichtung_id,
        wochenstunden,
        betreuungsbeginn_datum,
        strasse,
        strasse_norm,
        hausnummer,
        hausnummer_zusatz_norm,
        plz,
        adresse_id,
        adress_abgleich,
        zuordnung_id

    from abgeglichen

)

select * from final
