-- Commissioners for pickers, with how many mutuals each spun out.
-- $scope: visible mutual ids or NULL (all); a scoped user sees only commissioners linked to them.
SELECT c.commissioner_id, c.name, c.kind, c.region,
       count(m.mutual_id) AS mutuals_spun_out
FROM commissioners c
LEFT JOIN mutuals m
       ON m.parent_commissioner_id = c.commissioner_id
      AND ($scope IS NULL OR list_contains($scope, m.mutual_id))
WHERE $scope IS NULL
   OR EXISTS (SELECT 1 FROM mutuals s WHERE s.parent_commissioner_id = c.commissioner_id
              AND list_contains($scope, s.mutual_id))
   OR EXISTS (SELECT 1 FROM contracts k WHERE k.commissioner_id = c.commissioner_id
              AND list_contains($scope, k.mutual_id))
GROUP BY ALL
ORDER BY c.name
