-- Residents per Stichtag with age, flags and the matched register address
-- (docs/decisions.md: exact match key first, then the same number without suffix;
-- unmatched records count for `<ags>-OZ`).
with

einwohner as (

    select
        *,
        -- the suffix to try when the exact address is missing: the number without suffix;
        -- null (never matches) when the record has no suffix. An equi-join keeps this a
        -- hash join (a condition on one side only in the ON clause made DuckDB fall back
        -- to a nested loop: 80 s instead of 0.1 s for a county).
        case when hausnummer_zusatz_norm <> '' then '' end as hausnummer_zusatz_ersatz

    from {{ ref('stg_einwohnermeldeamt__einwohner') }}

),

adressen as (

    select * from {{ ref('int_geo__adressen') }}

),

abgeglichen as (

    select
        einwohner.*,
        exakt.adresse_id as adresse_id_exakt,
        ohne_zusatz.adresse_id as adresse_id_ohne_zusatz

    from einwohner
    left join adressen as exakt
        on exakt.ags = einwohner.ags
        and exakt.strasse_norm = einwohner.strasse_norm
        and exakt.hausnummer = einwohner.hausnummer
        and exakt.hausnummer_zusatz_norm = einwohner.hausnummer_zusatz_norm
    left join adressen as ohne_zusatz
        on ohne_zusatz.ags = einwohner.ags
        and ohne_zusatz.strasse_norm = einwohner.strasse_norm
        and ohne_zusatz.hausnummer = einwohner.hausnummer
        and ohne_zusatz.hausnummer_zusatz_norm = einwohner.hausnummer_zusatz_ersatz

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
        coalesce(adresse_id_exakt, adresse_id_ohne_zusatz) as adresse_id,
        case
            when adresse_id_exakt is not null then 'exakt'
            when adresse_id_ohne_zusatz is not null then 'ohne_zusatz'
            else 'keine'
        end as adress_abgleich,
        coalesce(adresse_id_exakt, adresse_id_ohne_zusatz, ags || '-OZ') as zuordnung_id

    from abgeglichen

)

select * from final
