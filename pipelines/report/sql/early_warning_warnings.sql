-- The recall-gap warnings: the dimension, the pair (`hi vs lo`) and evaluate's sentence with both recalls.
select dimension, group_value, note
from marts.early_warning_metrics
where metric = 'recall_gap'
order by dimension, group_value
