-- Raw zone of the private warehouse (<home>/warehouse/spm.duckdb, schema "raw").
-- The tables of the tabular sources (adressen, einwohner, sgb2, ...) are generated from
-- ingestion/contracts.py (raw_table_ddl); this file holds the fixed tables.
-- Written only by the ingestion package; read by dbt through sources (dbt_spm/models/staging).
-- Identifier columns (person_id, ehegatte_id, elternteil*_id, ...) hold keyed pseudonyms
-- (HMAC-SHA-256 of the delivered pseudonym, 32 hex characters), never the delivered value.
-- Address columns are kept as delivered (strasse, hausnummer, ...) plus the normalised
-- match key parts produced by ingestion.addresses.normalise_street / parse_house_number.

create schema if not exists raw;

create sequence if not exists raw.delivery_seq start 1;

-- One row per received file (also rejected and duplicate ones).
create table if not exists raw.delivery_log (
    delivery_id       integer primary key,
    source            varchar not null,      -- adressen, raumgliederung, einwohner, ...
    stichtag          date,                  -- from the file name (gueltig_ab for raumgliederung)
    gliederung        varchar,               -- raumgliederung only
    file_name         varchar not null,
    sha256            varchar not null,
    archive_path      varchar not null,
    received_at       timestamp not null,
    status            varchar not null,      -- loaded, rejected, duplicate, replaced
    rows_total        integer,
    rows_loaded       integer,
    rows_quarantined  integer,
    municipalities    varchar,               -- comma-separated ags list
    encoding          varchar,
    message           varchar                -- German, for the office
);

-- Rows that broke the contract; kept privately with the original line.
create table if not exists raw.quarantine (
    delivery_id    integer not null,
    source         varchar not null,
    file_name      varchar not null,
    line_no        integer,
    column_name    varchar,
    value          varchar,
    reason         varchar not null,
    original_line  varchar,
    ags            varchar           -- the row's municipality where it could be read
);

-- Small-area boundaries, one row per area and version; geometry in EPSG:25832.
create table if not exists raw.raumgliederung (
    delivery_id   integer not null,
    gliederung    varchar not null,
    gueltig_ab    date not null,
    raum_id       varchar not null,
    raum_name     varchar not null,
    ags           varchar,                      -- null for areas crossing municipal borders
    geometry_wkt  varchar not null              -- Polygon/MultiPolygon, EPSG:25832
);

-- Names of municipalities (8-digit ags) and the county (5-digit), from <home>/config/gemeinden.csv.
create table if not exists raw.gemeinden (
    ags   varchar primary key,
    name  varchar not null
);

-- Great Expectations validation results of the contract checks: the newest per source
-- (suite = source); delivery_id is empty (one validation covers every delivery of a source).
create table if not exists raw.gx_results (
    delivery_id   integer,
    source        varchar,
    suite         varchar,
    success       boolean,
    evaluated     integer,
    failed        integer,
    result_json   varchar,
    validated_at  timestamp
);
