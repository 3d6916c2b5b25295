-- The published schema holds no person-level or address column: no pseudonym or
-- identifier other than raum_id, no birth date, street or house number, no coordinates.
-- (A coarse structural guard; disclosure control of the values is a separate step.)
-- the Dagster asset check hangs on pub_indikatorwerte
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'pub_indikatorwerte'}}}) }}

with

spalten as (

    select
        table_name,
        column_name

    from information_schema.columns
    where table_schema = 'published'
        and table_name in (
            '{{ ref("pub_indikatoren").identifier }}',
            '{{ ref("pub_raeume").identifier }}',
            '{{ ref("pub_indikatorwerte").identifier }}',
            '{{ ref("pub_bevoelkerung").identifier }}'
        )

),

final as (

    select * from spalten
    where (column_name like '%\_id' escape '\' and column_name <> 'raum_id')
        or column_name in (
            'person_id', 'geburtsdatum', 'strasse', 'strasse_norm', 'hausnummer',
            'hausnummer_zusatz', 'hausnummer_zusatz_norm', 'ostwert', 'nordwert',
            'zuzug_datum', 'adresse_id', 'zuordnung_id'
        )

)

select * from final
