-- Household generation, step 3 (indicators.md, "Household generation", rule 3 and the
-- household types): one row per private household and Stichtag. Minors without a parent
-- at the address (`is_kind_ohne_elternteil`) belong to no household.
-- Children under 18 = members linked as child (to a parent at the address) and under 18.
-- Types, checked in this order: `EPH` one person; `PAAR_MK` a couple and at least one
-- child under 18; `AE` no couple and at least one child under 18; `PAAR_OK` exactly the two
-- persons of a couple; `SONST` every other household.
-- Incremental per Stichtag (config in the YAML file): only the Stichtage with new
-- deliveries are rebuilt (macro nur_neue_stichtage, docs/architecture.md "Only what changed").
with

personen as (

    select * from {{ ref('int_haushalte__personen') }}
    where haushalt_id is not null and {{ nur_neue_stichtage('stichtag') }}

),

-- all members live at one address, so `wohnadresse_id` and `zuordnung_id` are the
-- household's (the grain test would fail otherwise)
je_haushalt as (

    select
        stichtag,
        berichtsjahr,
        ags,
        haushalt_id,
        wohnadresse_id,
        zuordnung_id,
        count(*) as anzahl_personen,
        sum(case when is_kind and alter < 18 then 1 else 0 end) as anzahl_kinder_unter_18,
        sum(case when alter < 18 then 1 else 0 end) as anzahl_unter_18,
        max(alter) as alter_max,
        bool_or(is_in_paar) as is_paar

    from personen
    group by
        stichtag,
        berichtsjahr,
        ags,
        haushalt_id,
        wohnadresse_id,
        zuordnung_id

),

final as (

    select
        stichtag,
        berichtsjahr,
        ags,
        haushalt_id,
        wohnadresse_id,
        zuordnung_id,
        cast(anzahl_personen as integer) as anzahl_personen,
        cast(anzahl_kinder_unter_18 as integer) as anzahl_kinder_unter_18,
        cast(anzahl_unter_18 as integer) as anzahl_unter_18,
        is_paar,
        case
            when anzahl_personen = 1 then 'EPH'
            when is_paar and anzahl_kinder_unter_18 >= 1 then 'PAAR_MK'
            when not is_paar and anzahl_kinder_unter_18 >= 1 then 'AE'
            when is_paar and anzahl_personen = 2 then 'PAAR_OK'
            else 'SONST'
        end as haushaltstyp,
        anzahl_kinder_unter_18 >= 1 as is_mit_kindern,
        anzahl_kinder_unter_18 >= 3 as is_kinderreich,
        anzahl_personen = 1 and alter_max >= 65 as is_einpersonen_ab_65

    from je_haushalt

)

select * from final
