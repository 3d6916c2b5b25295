-- SGB II records (persons in Bedarfsgemeinschaften) per Stichtag with age at the Stichtag
-- and the matched register address
-- (macro `match_address`: exact match key first, then the same number without suffix;
-- unmatched records count for `<ags>-OZ`).
with

sgb2 as (

    select * from {{ ref('stg_jobcenter__sgb2') }}

),

adressen as (

    select * from {{ ref('int_geo__adressen') }}

),

abgeglichen as (

    {{ match_address('sgb2', 'adressen') }}

),

final as (

    select
        stichtag,
        berichtsjahr,
        ags,
        person_id,
        bg_id,
        delivery_id,
        geburtsdatum,
        {{ age_at('geburtsdatum', 'stichtag') }} as alter,
        geschlecht,
        staatsangehoerigkeit,
        is_nichtdeutsch,
        leistungsberechtigung,
        is_regelleistungsberechtigt,
        is_arbeitslos,
        bg_typ,
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
