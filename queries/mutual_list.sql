-- Mutuals for the picker: id, name, sector, region, spin-out date and status.
-- $scope: visible mutual ids or NULL (all).
SELECT mutual_id, name, sector, region, spin_out_date, status
FROM mutuals
WHERE $scope IS NULL OR list_contains($scope, mutual_id)
ORDER BY name
