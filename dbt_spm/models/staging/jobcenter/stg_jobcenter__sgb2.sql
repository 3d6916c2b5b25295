with

source as (

    select * from {{ source('jobcenter', 'sgb2') }}

),

renamed as (

    select
        delivery_id,
        line_no,
        cast(stichtag as date) as stichtag,
        cast(extract(year from stichtag) as integer) as berichtsjahr,
        ags,
        person_id,
        bg_id,
        cast(geburtsdatum as date) as geburtsdatum,
        geschlecht,
        staatsangehoerigkeit,
        -- unknown (NULL) when no nationality was delivered (optional in this source)
        case
            when staatsangehoerigkeit is not null then staatsangehoerigkeit <> '000'
        end as is_nichtdeutsch,
        leistungsberechtigung,
        -- Regelleistungsberechtigte (RLB) = ELB + NEF, the persons the SGB II quotas count
        leistungsberechtigung in ('ELB', 'NEF') as is_regelleistungsberechtigt,
        cast(arbeitslos as boolean) as is_arbeitslos,
        bg_typ,
        strasse,
        strasse_norm,
        cast(hausnummer as integer) as hausnummer,
        coalesce(hausnummer_zusatz_norm, '') as hausnummer_zusatz_norm,
        plz

    from source

)

select * from renamed
