-- One row per group of $dimension and the 'ALL' total: counts, and each rate with its interval.
with m as (
    select * exclude (group_value), case when dimension = 'ALL' then 'ALL' else group_value end as grp
    from marts.early_warning_metrics
    -- the group rows only: a `recall_gap` row ("a vs b") is no group and would break the sums
    where (dimension = $dimension and metric in ('flag_rate', 'recall', 'false_positive_rate'))
       or (dimension = 'ALL' and metric in ('flag_rate', 'recall_high', 'false_positive_rate'))
)

select grp as group_value, any_value(test_year) as test_year,
       any_value(n_pupils) as n_pupils, any_value(n_leavers) as n_leavers, any_value(n_flagged) as n_flagged,
       any_value(n_flagged_leavers) as n_flagged_leavers,
       any_value(n_flagged - n_flagged_leavers) as n_flagged_stayers,
       any_value(value) filter (where metric = 'flag_rate') as flag_rate,
       any_value(ci_low) filter (where metric = 'flag_rate') as flag_rate_low,
       any_value(ci_high) filter (where metric = 'flag_rate') as flag_rate_high,
       any_value(value) filter (where metric in ('recall', 'recall_high')) as recall,
       any_value(ci_low) filter (where metric in ('recall', 'recall_high')) as recall_low,
       any_value(ci_high) filter (where metric in ('recall', 'recall_high')) as recall_high,
       any_value(value) filter (where metric = 'false_positive_rate') as false_positive_rate,
       any_value(ci_low) filter (where metric = 'false_positive_rate') as false_positive_rate_low,
       any_value(ci_high) filter (where metric = 'false_positive_rate') as false_positive_rate_high
from m
group by grp
order by (grp = 'ALL'), grp
