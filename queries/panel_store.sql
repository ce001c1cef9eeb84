-- Store the indicator panel (build time, mutuals.infra.panel): the rows of queries/indicators.sql at each
-- panel date (registered as panel_rows), for the dates a mutual is in transition or trading, with its whole
-- years since spin-out (floored: the year before spin-out is -1). Names, sectors and regions stay in mutuals.
CREATE TABLE indicator_panel AS
SELECT r.panel_date,
       r.mutual_id,
       CASE WHEN r.panel_date >= m.spin_out_date THEN date_sub('year', m.spin_out_date, r.panel_date)
            ELSE -date_sub('year', r.panel_date, m.spin_out_date - INTERVAL 1 DAY) - 1 END AS years_since_spin_out,
       r.* EXCLUDE (panel_date, mutual_id, name, sector, region)
FROM panel_rows r
JOIN mutuals m USING (mutual_id)
WHERE r.stage <> 'ceased'
ORDER BY r.mutual_id, r.panel_date
