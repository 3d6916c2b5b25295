-- Residents per Stichtag with age, flags and the matched register address
-- (macro `match_address`, docs/decisions.md: exact match key first, then the same number
-- without suffix; unmatched records count for `<ags>-OZ`).
-- Incremental per Stichtag (config in the YAML file): only the Stichtage with new
-- deliveries are rebuilt (macro nur_neue_stichtage, docs/architecture.md "Only what changed").
with

einwohner as (

    select * from {{ ref('stg_einwohnermeldeamt__einwohner') }}
    where {{ nur_neue_stichtage('stichtag') }}

),

adressen as (

    select * from {{ ref('int_geo__adressen') }}

),

abgeglichen as (

    {{ match_address('einwohner', 'adressen') }}

),

final as (

    select
        stichtag,
        cast(extract(year from stichtag) as integer) as berichtsjahr,
        ags,
        person_id,
        delivery_id,
        geburtsdatum,
        {{ age_at('geburtsdatum', 'stichtag') }} as alter,
        geschlecht,
        is_nichtdeutsch,
        familienstand,
        ehegatte_id,
        elternteil1_id,
        elternteil2_id,
        wohnungsstatus,
        is_hauptwohnung,
        zuzug_datum,
        stichtag - zuzug_datum as tage_seit_zuzug,
        case
            when zuzug_datum is not null then {{ age_at('zuzug_datum', 'stichtag') }}
        end as wohndauer_jahre,
        adresse_id,
        adress_abgleich,
        zuordnung_id,
        -- the address for household generation: the register address when matched, else
        -- the normalised delivered address in the same form (never all unmatched persons of
        -- a municipality together)
        coalesce(
            adresse_id,
            ags
            || '|' || strasse_norm
            || '|' || cast(hausnummer as varchar)
            || '|' || hausnummer_zusatz_norm
        ) as wohnadresse_id

    from abgeglichen

)

select * from final
