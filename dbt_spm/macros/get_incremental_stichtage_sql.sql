{#- incremental strategy `stichtage` (see nur_neue_stichtage.sql): replace the rows of the
    rebuilt Stichtage; `nur_neue_stichtage` is `true` when every Stichtag is rebuilt -#}
{% macro get_incremental_stichtage_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }} where {{ nur_neue_stichtage('stichtag') }};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}
