with

source as (

    select * from {{ source('geodaten', 'gemeinden') }}

),

renamed as (

    select
        trim(ags) as ags,
        trim(name) as name,
        case length(trim(ags))
            when 8 then 'kommune'
            when 5 then 'kreis'
        end as ebene

    from source

)

select * from renamed
