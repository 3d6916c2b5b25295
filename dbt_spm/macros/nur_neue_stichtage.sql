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
        {{ spm_stichtage_praedikat(column) }}
    {%- endif -%}
{%- endmacro %}

{#- The same predicate for a data test of such a model (argument `nur_neue_stichtage: true`
    of the generic tests unique_combination and columns_valid): in a run that rebuilds only
    some Stichtage, the test checks only the rows it rebuilt. The other rows are those of the
    last complete build, whose tests all passed (a failed or partial build makes the next run
    rebuild everything, dagster_project/defs/dbt/aufbau.py), so this is sound only for keys
    and rules within one Stichtag. While dbt parses (`execute` is false) the variable is not
    read: its value changes every night and must not make dbt parse the project again. -#}
{% macro nur_neue_stichtage_im_test(column='stichtag') -%}
    {%- if not execute -%}
        true
    {%- else -%}
        {{ spm_stichtage_praedikat(column) }}
    {%- endif -%}
{%- endmacro %}

{#- `column` among the Stichtage of SPM_STICHTAGE (read at run time only): true for every
    Stichtag (`alle`), false for none (`keine`) -#}
{% macro spm_stichtage_praedikat(column) -%}
    {%- set stichtage = spm_stichtage_liste() -%}
    {%- if stichtage is none -%}
        true
    {%- elif stichtage | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in ({% for tag in stichtage %}date '{{ tag }}'{{ ", " if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}
