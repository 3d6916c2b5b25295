-- Household generation, step 2 (indicators.md, "Household generation", rules 1 and 2 and
-- the couple of rule 3): every resident with `wohnungsstatus = H` per Stichtag with the
-- household it belongs to.
-- - A household is a connected group of linked persons (`int_haushalte__verknuepfungen`).
--   The connected components are found exactly, for any size, by a recursive CTE (label
--   propagation until nothing changes); the household is named after its member with the
--   smallest `person_id` (`<ags>-<person_id>`).
-- - Every unlinked person is a one-person household, except a minor without a parent at
--   the address: such a minor forms no private household (`is_kind_ohne_elternteil`,
--   `haushalt_id` NULL) and is left out of every household figure.
-- - Roles: a *child* is a person linked to a parent, a *parent* a person a child is linked
--   to (the middle generation of three is both).
-- - Couple (`is_in_paar`): two adults (18+) linked as spouses, or the two parents of one
--   child (the child linked to both; no age condition on the parents).
-- Incremental per Stichtag (config in the YAML file): only the Stichtage with new
-- deliveries are rebuilt (macro nur_neue_stichtage, docs/architecture.md "Only what changed").
with recursive

einwohner as (

    select * from {{ ref('int_personen__einwohner') }}
    where is_hauptwohnung and {{ nur_neue_stichtage('stichtag') }}

),

verknuepfungen as (

    select * from {{ ref('int_haushalte__verknuepfungen') }}
    where {{ nur_neue_stichtage('stichtag') }}

),

-- both ends of every link, with the role each end plays
enden as (

    select
        stichtag,
        ags,
        person_id,
        verknuepfung = 'elternteil' as als_kind,
        false as als_elternteil,
        verknuepfung = 'ehegatte' as als_ehegatte
    from verknuepfungen

    union all

    select
        stichtag,
        ags,
        verknuepft_id as person_id,
        false as als_kind,
        verknuepfung = 'elternteil' as als_elternteil,
        verknuepfung = 'ehegatte' as als_ehegatte
    from verknuepfungen

),

-- couples: two adults linked as spouses, or the two (distinct) parents of one child
paare as (

    select
        stichtag,
        ags,
        person_id as person_a,
        verknuepft_id as person_b
    from verknuepfungen
    where
        verknuepfung = 'ehegatte'
        and alter_person >= 18
        and alter_verknuepft >= 18

    union all

    select
        elternteil_a.stichtag,
        elternteil_a.ags,
        elternteil_a.verknuepft_id as person_a,
        elternteil_b.verknuepft_id as person_b
    from verknuepfungen as elternteil_a
    inner join verknuepfungen as elternteil_b
        on elternteil_b.stichtag = elternteil_a.stichtag
        and elternteil_b.ags = elternteil_a.ags
        and elternteil_b.person_id = elternteil_a.person_id
        and elternteil_b.verknuepft_id > elternteil_a.verknuepft_id
    where
        elternteil_a.verknuepfung = 'elternteil'
        and elternteil_b.verknuepfung = 'elternteil'

),

-- the roles of every linked person, one row per link end or couple member
rollen as (

    select
        stichtag,
        ags,
        person_id,
        als_kind,
        als_elternteil,
        als_ehegatte,
        false as als_paar
    from enden

    union all

    select
        stichtag,
        ags,
        person_a as person_id,
        false as als_kind,
        false as als_elternteil,
        false as als_ehegatte,
        true as als_paar
    from paare

    union all

    select
        stichtag,
        ags,
        person_b as person_id,
        false as als_kind,
        false as als_elternteil,
        false as als_ehegatte,
        true as als_paar
    from paare

),

-- every linked person once, with its roles and an integer node number in the order of
-- (stichtag, ags, person_id): the smallest node of a component is its smallest person_id
knoten as (

    select
        stichtag,
        ags,
        person_id,
        bool_or(als_kind) as is_kind,
        bool_or(als_elternteil) as is_elternteil,
        bool_or(als_ehegatte) as is_ehegatte,
        bool_or(als_paar) as is_in_paar,
        row_number() over (order by stichtag, ags, person_id) as knoten_nr

    from rollen
    group by
        stichtag,
        ags,
        person_id

),

-- every link once as a pair of node numbers
verknuepfte_knoten as (

    select
        person.knoten_nr as person_nr,
        verknuepft.knoten_nr as verknuepft_nr

    from verknuepfungen
    inner join knoten as person
        on person.stichtag = verknuepfungen.stichtag
        and person.ags = verknuepfungen.ags
        and person.person_id = verknuepfungen.person_id
    inner join knoten as verknuepft
        on verknuepft.stichtag = verknuepfungen.stichtag
        and verknuepft.ags = verknuepfungen.ags
        and verknuepft.person_id = verknuepfungen.verknuepft_id

),

-- the links in both directions
kanten as (

    select
        person_nr as von_nr,
        verknuepft_nr as nach_nr
    from verknuepfte_knoten

    union all

    select
        verknuepft_nr as von_nr,
        person_nr as nach_nr
    from verknuepfte_knoten

),

-- nodes without a smaller neighbour; the smallest node of each component is one of them
lokale_minima as (

    select von_nr as knoten_nr

    from kanten
    group by von_nr
    having min(nach_nr) > von_nr

),

-- label propagation from the local minima: a node passes each label it holds on to its
-- neighbours with a larger number (a label larger than a node can never be its smallest,
-- and the component's smallest node reaches every node this way); the smallest label a
-- node receives is the smallest node of its component. UNION: no pair twice, so it ends.
marken (knoten_nr, marke_nr) as (

    select
        knoten_nr,
        knoten_nr
    from lokale_minima

    union

    select
        kanten.nach_nr,
        marken.marke_nr
    from marken
    inner join kanten
        on kanten.von_nr = marken.knoten_nr
    where marken.marke_nr < kanten.nach_nr

),

komponenten as (

    select
        knoten_nr,
        min(marke_nr) as komponente_nr

    from marken
    group by knoten_nr

),

-- linked persons with their household, named after its smallest person_id
verknuepfte as (

    select
        knoten.stichtag,
        knoten.ags,
        knoten.person_id,
        knoten.ags || '-' || erste.person_id as haushalt_id,
        knoten.is_kind,
        knoten.is_elternteil,
        knoten.is_ehegatte,
        knoten.is_in_paar

    from knoten
    inner join komponenten
        on komponenten.knoten_nr = knoten.knoten_nr
    inner join knoten as erste
        on erste.knoten_nr = komponenten.komponente_nr

),

final as (

    select
        einwohner.stichtag,
        einwohner.berichtsjahr,
        einwohner.ags,
        einwohner.person_id,
        case
            when verknuepfte.person_id is not null then verknuepfte.haushalt_id
            when einwohner.alter >= 18 then einwohner.ags || '-' || einwohner.person_id
        end as haushalt_id,
        einwohner.alter,
        einwohner.wohnadresse_id,
        einwohner.zuordnung_id,
        case
            when verknuepfte.is_kind and verknuepfte.is_elternteil then 'kind_und_elternteil'
            when verknuepfte.is_kind then 'kind'
            when verknuepfte.is_elternteil then 'elternteil'
            when verknuepfte.person_id is not null or einwohner.alter >= 18 then 'sonstige'
        end as rolle,
        verknuepfte.person_id is not null as is_verknuepft,
        coalesce(verknuepfte.is_kind, false) as is_kind,
        coalesce(verknuepfte.is_elternteil, false) as is_elternteil,
        coalesce(verknuepfte.is_ehegatte, false) as is_ehegatte,
        coalesce(verknuepfte.is_in_paar, false) as is_in_paar,
        verknuepfte.person_id is null and einwohner.alter < 18 as is_kind_ohne_elternteil

    from einwohner
    left join verknuepfte
        on verknuepfte.stichtag = einwohner.stichtag
        and verknuepfte.ags = einwohner.ags
        and verknuepfte.person_id = einwohner.person_id

)

select * from final
