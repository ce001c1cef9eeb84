-- Contracts active on $as_of (start_date <= D <= end_date) for the visible mutuals; with $buyer, only
-- that commissioner's own contracts (it is the buyer), e.g. a commissioner's headline figures.
-- $scope: mutual ids (NULL = all); $buyer: a commissioner id (NULL = every buyer).
-- Ordered by end date, soonest first.
SELECT c.contract_id, c.mutual_id, m.name AS mutual_name, m.sector, m.region,
       c.commissioner_id, k.name AS commissioner_name,
       c.title, c.service_area, c.start_date, c.end_date, c.max_end_date, c.annual_value,
       c.is_spin_out_contract, c.outcome,
       c.commissioner_id = m.parent_commissioner_id AS from_parent,
       date_diff('day', CAST($as_of AS DATE), c.end_date) / CAST($days_per_month AS DOUBLE) AS months_to_end
FROM contracts c
JOIN mutuals m USING (mutual_id)
JOIN commissioners k ON k.commissioner_id = c.commissioner_id
WHERE c.start_date <= CAST($as_of AS DATE) AND CAST($as_of AS DATE) <= c.end_date
  AND ($scope IS NULL OR list_contains($scope, c.mutual_id))
  AND ($buyer IS NULL OR c.commissioner_id = $buyer)
ORDER BY c.end_date, c.annual_value DESC, c.contract_id
