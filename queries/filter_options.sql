-- The sectors and regions present among the visible mutuals, for the global filters.
-- $scope: visible mutual ids or NULL (all).
SELECT 'sector' AS filter, sector AS value, count(*) AS mutuals
FROM mutuals WHERE $scope IS NULL OR list_contains($scope, mutual_id)
GROUP BY sector
UNION ALL
SELECT 'region', region, count(*)
FROM mutuals WHERE $scope IS NULL OR list_contains($scope, mutual_id)
GROUP BY region
ORDER BY filter, value
