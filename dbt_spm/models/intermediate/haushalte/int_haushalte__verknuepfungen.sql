-- Household generation, step 1 (indicators.md, "Household generation", rule 1): the links
-- between residents with `wohnungsstatus = H` living at the same address at the same
-- Stichtag.
-- - Spouse link (`ehegatte`): two persons of whom at least one names the other in
--   `ehegatte_id` (either direction); one row per pair, `person_id` < `verknuepft_id`.
-- - Parent link (`elternteil`): a person and each parent named in `elternteil1_id` /
--   `elternteil2_id` who lives at the same address, if the person is under 18, or is `LD`
--   (ledig) and has no spouse link at the address; `person_id` is the child,
--   `verknuepft_id` the parent.
-- "Same address" = `wohnadresse_id`: the register address when matched, else the
-- normalised delivered address (unmatched persons of a municipality are never lumped
-- together; the key starts with the `ags`). A reference to oneself or to a person not
-- living at the address links nothing.
-- Incremental per Stichtag (config in the YAML file): only the Stichtage with new
-- deliveries are rebuilt (macro nur_neue_stichtage, docs/architecture.md "Only what changed").
with

einwohner as (

    select * from {{ ref('int_personen__einwohner') }}
    where is_hauptwohnung and {{ nur_neue_stichtage('stichtag') }}

),

-- spouse links: either person naming the other suffices; the row of the person with the
-- smaller id is kept when both name each other
ehegatten as (

    select
        person.stichtag,
        person.berichtsjahr,
        person.ags,
        person.wohnadresse_id,
        least(person.person_id, ehegatte.person_id) as person_id,
        greatest(person.person_id, ehegatte.person_id) as verknuepft_id,
        'ehegatte' as verknuepfung,
        case
            when person.person_id < ehegatte.person_id then person.alter else ehegatte.alter
        end as alter_person,
        case
            when person.person_id < ehegatte.person_id then ehegatte.alter else person.alter
        end as alter_verknuepft

    from einwohner as person
    inner join einwohner as ehegatte
        on ehegatte.stichtag = person.stichtag
        and ehegatte.wohnadresse_id = person.wohnadresse_id
        and ehegatte.person_id = person.ehegatte_id
    where
        person.ehegatte_id <> person.person_id
        and (
            person.person_id < ehegatte.person_id
            or ehegatte.ehegatte_id is distinct from person.person_id
        )

),

-- every person with a spouse at the address (either side of a spouse link)
mit_ehegatte as (

    select stichtag, wohnadresse_id, person_id from ehegatten
    union
    select stichtag, wohnadresse_id, verknuepft_id as person_id from ehegatten

),

-- the parents a person names (both columns naming the same person: one parent)
genannte_elternteile as (

    select
        stichtag,
        wohnadresse_id,
        person_id,
        alter,
        familienstand,
        elternteil1_id as elternteil_id
    from einwohner
    where elternteil1_id is not null

    union

    select
        stichtag,
        wohnadresse_id,
        person_id,
        alter,
        familienstand,
        elternteil2_id as elternteil_id
    from einwohner
    where elternteil2_id is not null

),

-- parent links: the parent lives at the same address; the person is under 18, or ledig
-- without a spouse at the address
eltern as (

    select
        elternteil.stichtag,
        elternteil.berichtsjahr,
        elternteil.ags,
        elternteil.wohnadresse_id,
        kind.person_id,
        elternteil.person_id as verknuepft_id,
        'elternteil' as verknuepfung,
        kind.alter as alter_person,
        elternteil.alter as alter_verknuepft

    from genannte_elternteile as kind
    inner join einwohner as elternteil
        on elternteil.stichtag = kind.stichtag
        and elternteil.wohnadresse_id = kind.wohnadresse_id
        and elternteil.person_id = kind.elternteil_id
    left join mit_ehegatte
        on mit_ehegatte.stichtag = kind.stichtag
        and mit_ehegatte.wohnadresse_id = kind.wohnadresse_id
        and mit_ehegatte.person_id = kind.person_id
    where
        kind.elternteil_id <> kind.person_id
        and (
            kind.alter < 18
            or (kind.familienstand = 'LD' and mit_ehegatte.person_id is null)
        )

),

final as (

    select * from ehegatten
    union all
    select * from eltern

)

select * from final
