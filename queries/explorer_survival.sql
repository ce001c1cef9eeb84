-- Survival after spin-out as of $as_of: one row per mutual spun out by then and event, with the days from
-- spin-out (start) to the event or to the censoring date (stop), and whether the event was observed.
--   ceasing:              the mutual ceased on or before $as_of; otherwise censored at $as_of.
--   parent_contract_loss: its first contract with its former parent lost at re-tender or handed back ended on
--                         or before $as_of; otherwise censored at $as_of, or when it ceased. Only mutuals
--                         with a former parent are at risk of it.
-- $scope: visible mutual ids or NULL (all).
WITH e AS (
    SELECT s.*, CAST($as_of AS DATE) AS d
    FROM survival_events s
    WHERE s.spin_out_date <= CAST($as_of AS DATE)
      AND ($scope IS NULL OR list_contains($scope, s.mutual_id))
)
SELECT mutual_id, 'ceasing' AS event, spin_out_date AS start,
       CASE WHEN ceased_date <= d THEN ceased_date ELSE d END AS stop,
       coalesce(ceased_date <= d, false) AS observed
FROM e
UNION ALL
SELECT mutual_id, 'parent_contract_loss', spin_out_date,
       CASE WHEN parent_loss_date <= d AND (ceased_date IS NULL OR parent_loss_date <= ceased_date)
                THEN parent_loss_date
            WHEN ceased_date <= d THEN ceased_date
            ELSE d END,
       coalesce(parent_loss_date <= d AND (ceased_date IS NULL OR parent_loss_date <= ceased_date), false)
FROM e
WHERE has_parent
ORDER BY event, mutual_id
