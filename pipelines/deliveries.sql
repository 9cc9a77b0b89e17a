-- "Missing delivery", the one definition (`atbalsts status` and the data-quality report).
-- Grain: one row per school × teaching month in which the school sent neither consultations nor
-- grades. A teaching month is one in which at least half of the schools sent consultations or
-- grades, so summer, a roster-only delivery month or one stray future date do not count.
-- Delivered means received (validation.quality counts staging rows, quarantined ones too): a
-- school whose rows all failed validation did deliver, and is told so in its feedback file.
with

schools as (
    select distinct school_id from core.schools
),

delivered as (
    select school_id, month
    from validation.quality
    where coalesce(has_consultations, false) or coalesce(has_grades, false)
    group by all
),

teaching_months as (
    select month
    from delivered
    group by month
    having count(distinct school_id) >= 0.5 * (select count(*) from schools)
),

final as (
    select s.school_id, m.month
    from schools s
    cross join teaching_months m
    where not exists (select 1 from delivered d where d.school_id = s.school_id and d.month = m.month)
)

select * from final
