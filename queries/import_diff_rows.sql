-- An import preview's diff of a table without a primary key, per mutual (NULL for a table without
-- mutual_id): rows are compared whole, as a multiset. old_rows (the active dataset) and new_rows (the
-- import) hold each row's hash h and mutual_id m (part of the hash, so one m per h). Copies of a row beyond
-- those in the other version are added (new) or removed (old); nothing is "changed" without a key.
WITH a AS (
    SELECT h, any_value(m) AS m, count(*) AS n FROM old_rows GROUP BY h
), b AS (
    SELECT h, any_value(m) AS m, count(*) AS n FROM new_rows GROUP BY h
)
SELECT coalesce(b.m, a.m) AS mutual_id,
       CAST(sum(greatest(coalesce(b.n, 0) - coalesce(a.n, 0), 0)) AS BIGINT) AS added,
       CAST(0 AS BIGINT) AS changed,
       CAST(sum(greatest(coalesce(a.n, 0) - coalesce(b.n, 0), 0)) AS BIGINT) AS removed,
       CAST(sum(least(coalesce(a.n, 0), coalesce(b.n, 0))) AS BIGINT) AS unchanged,
       CAST(0 AS BIGINT) AS replaced
FROM a
FULL JOIN b USING (h)
GROUP BY 1
ORDER BY 1 NULLS FIRST
