{#- (see nur_neue_stichtage.sql) -#}
{#- incremental strategy `stichtage`: replace the rows of the rebuilt Stichtage -#}
{% macro get_incremental_stichtage_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set stichtage = spm_stichtage_liste() -%}
    delete from {{ target }}
    {%- if stichtage is not none %}
    where {{ nur_neue_stichtage('stichtag') }}
    {%- endif %};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}
