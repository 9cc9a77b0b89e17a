select note from marts.early_warning_metrics where metric = 'recall_gap' order by dimension, group_value
