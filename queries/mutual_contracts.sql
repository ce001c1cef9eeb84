-- Every contract a mutual has held, with the commissioner's name and whether it is active on $as_of.
-- $mutual_id, $as_of
SELECT c.contract_id, c.commissioner_id, k.name AS commissioner_name, c.title, c.service_area,
       c.start_date, c.end_date, coalesce(c.max_end_date, c.end_date) AS max_end_date,
       c.annual_value, c.is_spin_out_contract, c.outcome,
       c.start_date <= CAST($as_of AS DATE) AND CAST($as_of AS DATE) <= c.end_date AS active
FROM contracts c
JOIN commissioners k ON k.commissioner_id = c.commissioner_id
WHERE c.mutual_id = $mutual_id AND c.start_date <= CAST($as_of AS DATE)
ORDER BY c.start_date, c.contract_id
