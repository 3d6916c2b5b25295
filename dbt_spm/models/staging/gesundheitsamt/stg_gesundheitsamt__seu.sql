with

source as (

    select * from {{ source('gesundheitsamt', 'seu') }}

),

renamed as (

    select
        delivery_id,
        line_no,
        cast(stichtag as date) as stichtag,
        -- the reporting year of the SEU is the year of school entry (indicators.md)
        cast(einschulungsjahr as integer) as berichtsjahr,
        ags,
        kind_id,
        cast(geburtsdatum as date) as geburtsdatum,
        geschlecht,
        cast(untersuchungsdatum as date) as untersuchungsdatum,
        cast(einschulungsjahr as integer) as einschulungsjahr,
        gewichtsklasse,
        cast(erstsprache_deutsch as boolean) as is_erstsprache_deutsch,
        deutschkenntnisse,
        cast(sprachscreening_auffaellig as boolean) as is_sprachscreening_auffaellig,
        cast(koerperkoordination_auffaellig as boolean) as is_koerperkoordination_auffaellig,
        cast(visuomotorik_auffaellig as boolean) as is_visuomotorik_auffaellig,
        cast(impfdokument_vorgelegt as boolean) as is_impfdokument_vorgelegt,
        cast(masern_vollstaendig as boolean) as is_masern_vollstaendig,
        cast(u9_dokumentiert as boolean) as is_u9_dokumentiert,
        kita_dauer,
        strasse,
        strasse_norm,
        cast(hausnummer as integer) as hausnummer,
        coalesce(hausnummer_zusatz_norm, '') as hausnummer_zusatz_norm,
        plz

    from source

)

select * from renamed
