-- An import preview's diff of a table with a primary key, per mutual (NULL for a table without mutual_id):
-- how many rows are added, changed, removed and unchanged, and how many old rows a change replaces.
-- old_rows (the active dataset) and new_rows (the import) hold each row's hash h, its key's hash k and its
-- mutual_id m. A new row whose key is old is changed when its hash differs; a key repeated in new_rows
-- counts as added after its first row. A replaced old row belongs to its own mutual, which is affected too.
WITH old_first AS (
    SELECT k, any_value(h) AS h FROM old_rows GROUP BY k
), new_ranked AS (
    SELECT h, k, m, row_number() OVER (PARTITION BY k) AS nth FROM new_rows
), classified AS (
    SELECT n.m,
           CASE WHEN n.nth > 1 OR o.k IS NULL THEN 'added'
                WHEN n.h <> o.h THEN 'changed'
                ELSE 'unchanged' END AS kind
    FROM new_ranked n
    LEFT JOIN old_first o ON o.k = n.k
    UNION ALL
    SELECT a.m, 'removed' FROM old_rows a WHERE a.k NOT IN (SELECT k FROM new_rows)
    UNION ALL
    SELECT a.m, 'replaced' FROM old_rows a
    WHERE a.k IN (SELECT n.k FROM new_ranked n JOIN old_first o ON o.k = n.k WHERE n.nth = 1 AND n.h <> o.h)
)
SELECT m AS mutual_id,
       count(*) FILTER (WHERE kind = 'added') AS added,
       count(*) FILTER (WHERE kind = 'changed') AS changed,
       count(*) FILTER (WHERE kind = 'removed') AS removed,
       count(*) FILTER (WHERE kind = 'unchanged') AS unchanged,
       count(*) FILTER (WHERE kind = 'replaced') AS replaced
FROM classified
GROUP BY m
ORDER BY m NULLS FIRST
