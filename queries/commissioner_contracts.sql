-- A commissioner's own contracts: those it buys ($commissioner = the buyer), active on $as_of
-- (start_date <= D <= end_date), with the visible mutuals.
-- $scope: mutual ids (NULL = all). Same columns as active_contracts.sql; ordered by end date, soonest first.
SELECT c.contract_id, c.mutual_id, m.name AS mutual_name, m.sector, m.region,
       c.commissioner_id, k.name AS commissioner_name,
       c.title, c.service_area, c.start_date, c.end_date, c.max_end_date, c.annual_value,
       c.is_spin_out_contract, c.outcome,
       c.commissioner_id = m.parent_commissioner_id AS from_parent,
       date_diff('day', CAST($as_of AS DATE), c.end_date) / CAST($days_per_month AS DOUBLE) AS months_to_end
FROM contracts c
JOIN mutuals m USING (mutual_id)
JOIN commissioners k ON k.commissioner_id = c.commissioner_id
WHERE c.commissioner_id = $commissioner
  AND c.start_date <= CAST($as_of AS DATE) AND CAST($as_of AS DATE) <= c.end_date
  AND ($scope IS NULL OR list_contains($scope, c.mutual_id))
ORDER BY c.end_date, c.annual_value DESC, c.contract_id
