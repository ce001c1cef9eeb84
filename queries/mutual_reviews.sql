-- A mutual's commissioner relationship reviews up to $as_of.
-- $mutual_id, $as_of
SELECT r.review_date, r.commissioner_id, k.name AS commissioner_name, r.kind, r.rating
FROM relationship_reviews r
JOIN commissioners k ON k.commissioner_id = r.commissioner_id
WHERE r.mutual_id = $mutual_id AND r.review_date <= CAST($as_of AS DATE)
ORDER BY r.review_date, k.name
