{#-
    Rebuilding only the Stichtage that changed (docs/architecture.md, "Only what changed").

    The person-level models whose rows of a Stichtag depend only on the deliveries of that
    Stichtag (and on the address register, whose change rebuilds everything) are
    `materialized='incremental'` with `incremental_strategy='stichtage'`. The nightly run
    names the Stichtage to rebuild in the environment variable `SPM_STICHTAGE` (ISO dates,
    comma-separated, of every delivery of a person-level source that is new or replaced
    since the last complete build; `keine` for none), or runs with `--full-refresh` when
    anything else changed (code, settings, geography, a failed or partial build before;
    dagster_project/defs/dbt/aufbau.py). Without the variable (a plain `dbt build`) every
    Stichtag is rebuilt.

    In such a model, filter every person-level input with
        where {{ nur_neue_stichtage('stichtag') }}
    The strategy then deletes the target's rows of those Stichtage (also when no row of a
    Stichtag is left) and inserts the model's rows.
-#}

{#- a predicate on `column`: true for the Stichtage to rebuild -#}
{% macro nur_neue_stichtage(column='stichtag') -%}
    {%- if not is_incremental() -%}
        true
    {%- else -%}
    {%- set stichtage = spm_stichtage_liste() -%}
    {%- if stichtage is none -%}
        true
    {%- elif stichtage | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in ({% for tag in stichtage %}date '{{ tag }}'{{ ", " if not loop.last }}{% endfor %})
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}
