{#- the Stichtage to rebuild as a list of ISO dates, or none for every Stichtag. Read from
    the environment at run time only (never while dbt parses, so that a new value does not
    make dbt parse the whole project again, as a changed --vars does). -#}
{% macro spm_stichtage_liste() -%}
    {%- set wert = env_var('SPM_STICHTAGE', 'alle') | trim -%}
    {%- if wert == 'alle' -%}
        {{ return(none) }}
    {%- elif wert == 'keine' -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set stichtage = wert.split(',') | map('trim') | list -%}
    {%- for tag in stichtage -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', tag) -%}
            {{ exceptions.raise_compiler_error("SPM_STICHTAGE: 'alle', 'keine' oder Daten JJJJ-MM-TT mit Kommas erwartet, nicht " ~ wert) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(stichtage) }}
{%- endmacro %}
