-- The suppression log records the kind of every suppression and nothing else: a cell with
-- status `gesperrt` has `sperrart` `primaer` or `sekundaer`, a cell with status `ok` none.
-- (The published tables show `gesperrt` alone; `sperrart` stays in this private log.)
-- the Dagster asset check hangs on mart_geheimhaltung_protokoll
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'mart_geheimhaltung_protokoll'}}}) }}

with

protokoll as (

    select * from {{ ref('mart_geheimhaltung_protokoll') }}

),

final as (

    select
        cell_id,
        status,
        sperrart

    from protokoll
    where (status = 'gesperrt' and sperrart is null)
        or (status = 'ok' and sperrart is not null)

)

select * from final
