-- Hilfen zur Erziehung cases per Stichtag with age at the Stichtag
-- and the matched register address
-- (macro `match_address`: exact match key first, then the same number without suffix;
-- unmatched records count for `<ags>-OZ`).
with

hze as (

    select * from {{ ref('stg_jugendamt__hze') }}

),

adressen as (

    select * from {{ ref('int_geo__adressen') }}

),

abgeglichen as (

    {{ match_address('hze', 'adressen') }}

),

final as (

    select
        stichtag,
        berichtsjahr,
        ags,
        fall_id,
        person_id,
        delivery_id,
        geburtsdatum,
        {{ age_at('geburtsdatum', 'stichtag') }} as alter,
        geschlecht,
        hilfeart,
        beginn_datum,
        ende_datum,
        kosten_euro,
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
