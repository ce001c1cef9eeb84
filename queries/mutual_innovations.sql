-- A mutual's innovations up to $as_of, newest first.
-- $mutual_id, $as_of
SELECT innovation_date, title, origin, status, annual_saving
FROM innovations
WHERE mutual_id = $mutual_id AND innovation_date <= CAST($as_of AS DATE)
ORDER BY innovation_date DESC, title
