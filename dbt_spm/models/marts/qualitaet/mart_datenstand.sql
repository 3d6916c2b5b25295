-- Data status per source and municipality (private; published protected as `datenstand`):
-- the newest Stichtag of every source in every municipality, when it was delivered, how
-- many rows were loaded and quarantined, and the address match rate. Tabular sources form
-- a full grid with the municipalities of the county (a missing delivery is a row without
-- Stichtag); Raumgliederungen have one row per Gliederung and municipality of their newest
-- version (areas crossing municipal borders under the county's 5-digit code).
{%- set quellen = [
    ('adressen', 'stg_geodaten__adressen'),
    ('einwohner', 'stg_einwohnermeldeamt__einwohner'),
    ('sgb2', 'stg_jobcenter__sgb2'),
    ('hze', 'stg_jugendamt__hze'),
    ('seu', 'stg_gesundheitsamt__seu'),
    ('kita', 'stg_jugendamt__kita'),
    ('schule', 'stg_schultraeger__schule'),
    ('schulabgang', 'stg_schultraeger__schulabgang'),
] %}
with

lieferungen as (

    select * from {{ ref('stg_statistikstelle__lieferungen') }}

),

quarantaene as (

    select * from {{ ref('stg_statistikstelle__quarantaene') }}

),

adressabgleich as (

    select * from {{ ref('mart_adressabgleich') }}

),

gemeinden as (

    select * from {{ ref('int_geo__gemeinden') }}

),

raumgliederung as (

    select * from {{ ref('stg_geodaten__raumgliederung') }}

),

kreis as (

    select
        min(kreis_ags) as kreis_ags

    from gemeinden

),

-- rows per source, municipality, Stichtag and delivery (a Stichtag can come in several files)
zeilen_je_lieferung as (

    {%- for quelle, modell in quellen %}

    select
        '{{ quelle }}' as quelle,
        ags,
        stichtag,
        delivery_id,
        count(*) as zeilen

    from {{ ref(modell) }}
    group by
        ags,
        stichtag,
        delivery_id
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

stichtage as (

    select
        quelle,
        ags,
        max(stichtag) as stichtag,
        count(distinct stichtag) as anzahl_stichtage

    from zeilen_je_lieferung
    group by
        quelle,
        ags

),

-- quarantined lines per delivery and municipality (rows whose municipality could be read)
quarantaene_je_lieferung as (

    select
        delivery_id,
        ags,
        count(distinct line_no) as zeilen_quarantaene

    from quarantaene
    where ags is not null
    group by
        delivery_id,
        ags

),

neuester_stichtag as (

    select
        zeilen_je_lieferung.quelle,
        zeilen_je_lieferung.ags,
        zeilen_je_lieferung.stichtag,
        max(stichtage.anzahl_stichtage) as anzahl_stichtage,
        max(lieferungen.geliefert_am) as geliefert_am,
        count(distinct zeilen_je_lieferung.delivery_id) as anzahl_lieferungen,
        cast(sum(zeilen_je_lieferung.zeilen) as bigint) as zeilen,
        cast(coalesce(sum(quarantaene_je_lieferung.zeilen_quarantaene), 0) as bigint)
            as zeilen_quarantaene

    from zeilen_je_lieferung
    inner join stichtage
        on stichtage.quelle = zeilen_je_lieferung.quelle
        and stichtage.ags = zeilen_je_lieferung.ags
        and stichtage.stichtag = zeilen_je_lieferung.stichtag
    left join lieferungen
        on lieferungen.delivery_id = zeilen_je_lieferung.delivery_id
    left join quarantaene_je_lieferung
        on quarantaene_je_lieferung.delivery_id = zeilen_je_lieferung.delivery_id
        and quarantaene_je_lieferung.ags = zeilen_je_lieferung.ags
    group by
        zeilen_je_lieferung.quelle,
        zeilen_je_lieferung.ags,
        zeilen_je_lieferung.stichtag

),

-- every tabular source for every municipality of the county (and any other delivered ags)
raster as (

    select
        quellen.quelle,
        gemeinden.ags

    from gemeinden
    cross join (
        {%- for quelle, _ in quellen %}
        select '{{ quelle }}' as quelle {{ 'union all' if not loop.last }}
        {%- endfor %}
    ) as quellen

    union

    select
        quelle,
        ags

    from stichtage

),

tabellarisch as (

    select
        raster.quelle,
        cast(null as varchar) as gliederung,
        raster.ags,
        gemeinden.gemeinde_name as kommune,
        neuester_stichtag.stichtag,
        coalesce(neuester_stichtag.anzahl_stichtage, 0) as anzahl_stichtage,
        neuester_stichtag.geliefert_am,
        coalesce(neuester_stichtag.anzahl_lieferungen, 0) as anzahl_lieferungen,
        neuester_stichtag.zeilen,
        neuester_stichtag.zeilen_quarantaene,
        adressabgleich.zuordnungsquote

    from raster
    left join neuester_stichtag
        on neuester_stichtag.quelle = raster.quelle
        and neuester_stichtag.ags = raster.ags
    left join gemeinden
        on gemeinden.ags = raster.ags
    left join adressabgleich
        on adressabgleich.quelle = neuester_stichtag.quelle
        and adressabgleich.stichtag = neuester_stichtag.stichtag
        and adressabgleich.ags = neuester_stichtag.ags

),

-- the newest version of every Gliederung: areas per municipality, from which deliveries
versionen as (

    select
        gliederung,
        max(gueltig_ab) as gueltig_ab,
        count(distinct gueltig_ab) as anzahl_versionen

    from raumgliederung
    group by
        gliederung

),

raeume as (

    select
        raumgliederung.gliederung,
        coalesce(raumgliederung.ags, kreis.kreis_ags) as ags,
        raumgliederung.gueltig_ab as stichtag,
        max(versionen.anzahl_versionen) as anzahl_stichtage,
        max(lieferungen.geliefert_am) as geliefert_am,
        count(distinct raumgliederung.delivery_id) as anzahl_lieferungen,
        count(*) as zeilen

    from raumgliederung
    inner join versionen
        on versionen.gliederung = raumgliederung.gliederung
        and versionen.gueltig_ab = raumgliederung.gueltig_ab
    cross join kreis
    left join lieferungen
        on lieferungen.delivery_id = raumgliederung.delivery_id
    group by
        raumgliederung.gliederung,
        coalesce(raumgliederung.ags, kreis.kreis_ags),
        raumgliederung.gueltig_ab

),

gliederungen as (

    select
        'raumgliederung' as quelle,
        raeume.gliederung,
        raeume.ags,
        gemeinden.gemeinde_name as kommune,
        raeume.stichtag,
        raeume.anzahl_stichtage,
        raeume.geliefert_am,
        raeume.anzahl_lieferungen,
        raeume.zeilen,
        cast(null as bigint) as zeilen_quarantaene,
        cast(null as double precision) as zuordnungsquote

    from raeume
    left join gemeinden
        on gemeinden.ags = raeume.ags

),

final as (

    select * from tabellarisch
    union all
    select * from gliederungen

)

select * from final
