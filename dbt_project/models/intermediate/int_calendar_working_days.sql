-- One row per calendar day 2024–2028 with the working-day flag (weekends, official holidays and 调休 workdays
-- from the holidays_cn seed) and a running working-day number: working days between two dates is a subtraction.
with

days as (

    select explode(sequence(date'2024-01-01', date'2028-12-31', interval 1 day)) as calendar_date

),

holidays as (

    select `date` as calendar_date, kind, name from {{ ref('holidays_cn') }}

),

flagged as (

    select
        days.calendar_date,
        holidays.name as holiday_name,
        case
            when holidays.kind = 'holiday' then false
            when holidays.kind = 'workday' then true
            else dayofweek(days.calendar_date) not in (1, 7)
        end as is_working_day
    from days
    left join holidays on days.calendar_date = holidays.calendar_date

),

final as (

    select
        calendar_date,
        is_working_day,
        holiday_name,
        cast(sum(cast(is_working_day as int)) over (order by calendar_date) as int) as working_day_number
    from flagged

)

select * from final
