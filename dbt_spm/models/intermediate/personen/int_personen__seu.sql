-- Schuleingangsuntersuchung records per Stichtag with age at the Stichtag
-- and the matched register address
-- (macro `match_address`: exact match key first, then the same number without suffix;
-- unmatched records count for `<ags>-OZ`).
with

seu as (

    select * from {{ ref('stg_gesundheitsamt__seu') }}

),

adressen as (

    select * from {{ ref('int_geo__adressen') }}

),

abgeglichen as (

    {{ match_address('seu', 'adressen') }}

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
        untersuchungsdatum,
        einschulungsjahr,
        gewichtsklasse,
        is_erstsprache_deutsch,
        deutschkenntnisse,
        is_sprachscreening_auffaellig,
        is_koerperkoordination_auffaellig,
        is_visuomotorik_auffaellig,
        is_impfdokument_vorgelegt,
        is_masern_vollstaendig,
        is_u9_dokumentiert,
        kita_dauer,
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
