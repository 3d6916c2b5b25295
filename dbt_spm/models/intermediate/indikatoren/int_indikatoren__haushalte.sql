-- H indicators (Haushalts- und Lebensformen, derived households, source `einwohner`):
-- numerator and denominator per Gebiet and Berichtsjahr, summed from the households of
-- each Gebiet (never averaged from lower levels). Households come from the household
-- generation (`int_haushalte__haushalte`, indicators.md "Household generation") at the
-- Stichtag the B indicators use: per municipality the newest `einwohner` Stichtag of the
-- Berichtsjahr. A household lives at one address, so it counts in exactly one area of each
-- Gliederung. Minors without a parent at the address are in no household and in no figure.
-- H01 households; H02 persons in households / households; H03 households with children
-- under 18 / households; H04 `AE` / households with children; H05 3+ children under 18 /
-- households with children; H06 children under 18 in `AE` households / persons under 18
-- in households; H07 one-person households of a person 65+ / households.
-- Rows only for Gebiete and Berichtsjahre covered by an `einwohner` delivery; Gebiete
-- without households get zero counts. The mart applies `faktor`, `einheit` and the status
-- rules from the catalogue.
with

haushalte as (

    select * from {{ ref('int_haushalte__haushalte') }}

),

zuordnung_gebiete as (

    select * from {{ ref('int_geo__zuordnung_gebiete') }}

),

abdeckung as (

    select * from {{ ref('int_lieferungen__gebiet_berichtsjahre') }}
    where quelle = 'einwohner'

),

-- per municipality and Berichtsjahr the Stichtag in use (the newest of the year)
gemeinde_stichtage as (

    select
        raum_id as ags,
        berichtsjahr,
        stichtag

    from abdeckung
    where gliederung = 'kommune'

),

haushalte_im_berichtsjahr as (

    select
        haushalte.*,
        gemeinde_stichtage.berichtsjahr as berichtsjahr_verwendet

    from haushalte
    inner join gemeinde_stichtage
        on gemeinde_stichtage.ags = haushalte.ags
        and gemeinde_stichtage.stichtag = haushalte.stichtag

),

-- first aggregate per assignment key (address), then spread over the bridge
je_zuordnung as (

    select
        berichtsjahr_verwendet as berichtsjahr,
        zuordnung_id,
        count(*) as n_haushalte,
        sum(anzahl_personen) as n_personen,
        sum(case when is_mit_kindern then 1 else 0 end) as n_mit_kindern,
        sum(case when haushaltstyp = 'AE' then 1 else 0 end) as n_ae,
        sum(case when is_kinderreich then 1 else 0 end) as n_kinderreich,
        sum(case when haushaltstyp = 'AE' then anzahl_kinder_unter_18 else 0 end)
            as n_kinder_unter_18_ae,
        sum(anzahl_unter_18) as n_unter_18,
        sum(case when is_einpersonen_ab_65 then 1 else 0 end) as n_eph_ab_65

    from haushalte_im_berichtsjahr
    group by berichtsjahr_verwendet, zuordnung_id

),

je_gebiet as (

    select
        zuordnung_gebiete.gliederung,
        zuordnung_gebiete.raum_id,
        je_zuordnung.berichtsjahr,
        sum(je_zuordnung.n_haushalte) as n_haushalte,
        sum(je_zuordnung.n_personen) as n_personen,
        sum(je_zuordnung.n_mit_kindern) as n_mit_kindern,
        sum(je_zuordnung.n_ae) as n_ae,
        sum(je_zuordnung.n_kinderreich) as n_kinderreich,
        sum(je_zuordnung.n_kinder_unter_18_ae) as n_kinder_unter_18_ae,
        sum(je_zuordnung.n_unter_18) as n_unter_18,
        sum(je_zuordnung.n_eph_ab_65) as n_eph_ab_65

    from je_zuordnung
    inner join zuordnung_gebiete
        on zuordnung_gebiete.zuordnung_id = je_zuordnung.zuordnung_id
    group by
        zuordnung_gebiete.gliederung,
        zuordnung_gebiete.raum_id,
        je_zuordnung.berichtsjahr

),

-- every covered Gebiet and Berichtsjahr, zero counts where no household is
vollstaendig as (

    select
        abdeckung.gliederung,
        abdeckung.raum_id,
        abdeckung.berichtsjahr,
        abdeckung.stichtag,
        coalesce(je_gebiet.n_haushalte, 0) as n_haushalte,
        coalesce(je_gebiet.n_personen, 0) as n_personen,
        coalesce(je_gebiet.n_mit_kindern, 0) as n_mit_kindern,
        coalesce(je_gebiet.n_ae, 0) as n_ae,
        coalesce(je_gebiet.n_kinderreich, 0) as n_kinderreich,
        coalesce(je_gebiet.n_kinder_unter_18_ae, 0) as n_kinder_unter_18_ae,
        coalesce(je_gebiet.n_unter_18, 0) as n_unter_18,
        coalesce(je_gebiet.n_eph_ab_65, 0) as n_eph_ab_65

    from abdeckung
    left join je_gebiet
        on je_gebiet.gliederung = abdeckung.gliederung
        and je_gebiet.raum_id = abdeckung.raum_id
        and je_gebiet.berichtsjahr = abdeckung.berichtsjahr

),

indikatoren as (

    {%- set indikatoren = [
        ('H01', 'n_haushalte', 'cast(null as bigint)'),
        ('H02', 'n_personen', 'n_haushalte'),
        ('H03', 'n_mit_kindern', 'n_haushalte'),
        ('H04', 'n_ae', 'n_mit_kindern'),
        ('H05', 'n_kinderreich', 'n_mit_kindern'),
        ('H06', 'n_kinder_unter_18_ae', 'n_unter_18'),
        ('H07', 'n_eph_ab_65', 'n_haushalte'),
    ] %}

    {%- for code, zaehler, nenner in indikatoren %}
    {%- if not loop.first %}

    union all
    {%- endif %}

    select
        '{{ code }}' as code,
        gliederung,
        raum_id,
        berichtsjahr,
        stichtag,
        {{ zaehler }} as zaehler,
        {{ nenner }} as nenner
    from vollstaendig
    {%- endfor %}

),

final as (

    select
        code,
        gliederung,
        raum_id,
        berichtsjahr,
        stichtag,
        cast(berichtsjahr as varchar) as bezugszeitraum,
        cast(zaehler as bigint) as zaehler,
        cast(nenner as bigint) as nenner

    from indikatoren

)

select * from final
