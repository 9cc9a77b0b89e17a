select distinct school_year from core.consultations where school_year is not null order by 1
