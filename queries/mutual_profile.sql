-- One mutual's own facts, with its parent commissioner's name.
-- $mutual_id; $scope: visible mutual ids or NULL (all); no row when out of scope.
SELECT m.*, c.name AS parent_commissioner_name, c.kind AS parent_commissioner_kind
FROM mutuals m
LEFT JOIN commissioners c ON c.commissioner_id = m.parent_commissioner_id
WHERE m.mutual_id = $mutual_id
  AND ($scope IS NULL OR list_contains($scope, m.mutual_id))
