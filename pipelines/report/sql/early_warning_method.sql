select * from marts.early_warning_metrics where metric in ('auc', 'method')
