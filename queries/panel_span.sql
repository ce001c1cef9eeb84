-- The indicator panel's first day (build time): the first day any mutual is visible (options appraisal,
-- else spin-out). Its last day is the data date (queries/data_date.sql).
SELECT min(coalesce(options_appraisal_date, spin_out_date)) AS first_day FROM mutuals
