-- The outcome of the address match of every record of every person-level source, with
-- the address as delivered: the basis of the match report. The match itself is done once
-- per source, by macro `match_address` in the int_personen__* models; the residents
-- register model does not carry the delivered street and postcode, they come from staging.
-- Incremental per Stichtag (config in the YAML file): only the Stichtage with new
-- deliveries are rebuilt (macro nur_neue_stichtage, docs/architecture.md "Only what changed").
{#- (source, CTE, record key) of the seven person-level sources -#}
{% set quellen = [
    ('einwohner', 'einwohner_mit_adresse', 'person_id'),
    ('sgb2', 'sgb2', 'person_id'),
    ('hze', 'hze', 'fall_id'),
    ('seu', 'seu', 'kind_id'),
    ('kita', 'kita', 'kind_id'),
    ('schule', 'schule', 'schueler_id'),
    ('schulabgang', 'schulabgang', 'schueler_id'),
] %}

with

einwohner as (

    select * from {{ ref('int_personen__einwohner') }}
    where {{ nur_neue_stichtage('stichtag') }}

),

einwohner_adressen as (

    select * from {{ ref('stg_einwohnermeldeamt__einwohner') }}
    where {{ nur_neue_stichtage('stichtag') }}

),

sgb2 as (

    select * from {{ ref('int_personen__sgb2') }}
    where {{ nur_neue_stichtage('stichtag') }}

),

hze as (

    select * from {{ ref('int_personen__hze') }}
    where {{ nur_neue_stichtage('stichtag') }}

),

seu as (

    select * from {{ ref('int_personen__seu') }}
    where {{ nur_neue_stichtage('stichtag') }}

),

kita as (

    select * from {{ ref('int_personen__kita') }}
    where {{ nur_neue_stichtage('stichtag') }}

),

schule as (

    select * from {{ ref('int_personen__schule') }}
    where {{ nur_neue_stichtage('stichtag') }}

),

schulabgang as (

    select * from {{ ref('int_personen__schulabgang') }}
    where {{ nur_neue_stichtage('stichtag') }}

),

einwohner_mit_adresse as (

    select
        einwohner.stichtag,
        einwohner.berichtsjahr,
        einwohner.ags,
        einwohner.person_id,
        einwohner_adressen.strasse,
        einwohner_adressen.strasse_norm,
        einwohner_adressen.hausnummer,
        einwohner_adressen.hausnummer_zusatz_norm,
        einwohner_adressen.plz,
        einwohner.adresse_id,
        einwohner.adress_abgleich,
        einwohner.zuordnung_id

    from einwohner
    inner join einwohner_adressen
        on einwohner_adressen.stichtag = einwohner.stichtag
        and einwohner_adressen.ags = einwohner.ags
        and einwohner_adressen.person_id = einwohner.person_id

),

final as (
{% for quelle, cte, schluessel in quellen %}
    select
        '{{ quelle }}' as quelle,
        stichtag,
        berichtsjahr,
        ags,
        {{ schluessel }} as datensatz_id,
        strasse,
        strasse_norm,
        hausnummer,
        hausnummer_zusatz_norm,
        plz,
        adresse_id,
        adress_abgleich,
        zuordnung_id

    from {{ cte }}
    {% if not loop.last %}
    union all
    {% endif %}
{%- endfor %}
)

select * from final
