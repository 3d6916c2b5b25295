-- School leavers per Stichtag with age at the Stichtag
-- and the matched register address
-- (macro `match_address`: exact match key first, then the same number without suffix;
-- unmatched records count for `<ags>-OZ`).
with

schulabgang as (

    select * from {{ ref('stg_schultraeger__schulabgang') }}

),

adressen as (

    select * from {{ ref('int_geo__adressen') }}

),

abgeglichen as (

    {{ match_address('schulabgang', 'adressen') }}

),

final as (

    select
        stichtag,
        berichtsjahr,
        ags,
        schueler_id,
        delivery_id,
        geburtsdatum,
        {{ age_at('geburtsdatum', 'stichtag') }} as alter,
        geschlecht,
        schuljahr,
        abschluss,
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
